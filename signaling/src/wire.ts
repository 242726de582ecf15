/**
 * Builds the frame relayed for a publish: the sender's object with `clients` (the topic's
 * subscriber count) added, as y-webrtc's server does.
 *
 * The sender's text is spliced rather than re-serialized: it is relayed byte for byte, costs no
 * JSON.stringify per publish, and cannot hit the stack overflow JSON.stringify throws on deeply
 * nested input (which JSON.parse accepts). Only a sender that sets `clients` itself takes the
 * re-serializing path, so that its value is replaced rather than duplicated.
 *
 * @param text the frame as received, already known to parse to a JSON object
 * @returns the frame to relay, or undefined when it cannot be re-serialized
 */
export function withClientCount(text: string, fields: Record<string, unknown>, clients: number): string | undefined {
  if (Object.hasOwn(fields, 'clients')) {
    try {
      return JSON.stringify({ ...fields, clients })
    } catch {
      return undefined
    }
  }
  const body = text.trimEnd()
  // A parsed object always ends in `}` and, having a `type`, is never empty, so a comma is right.
  return `${body.slice(0, -1)},"clients":${clients}}`
}

/**
 * The published object as JSON text without a `clients` field, for other instances of a cluster
 * (each adds its own subscriber count). Spliced like {@link withClientCount}.
 * @returns undefined when it cannot be re-serialized
 */
export function withoutClientCount(text: string, fields: Record<string, unknown>): string | undefined {
  if (!Object.hasOwn(fields, 'clients')) return text.trim()
  try {
    const { clients: _dropped, ...rest } = fields
    return JSON.stringify(rest)
  } catch {
    return undefined
  }
}
