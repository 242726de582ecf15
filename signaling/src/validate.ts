import { CloseCode, type Violation } from './close-codes.js'
import type { SignalingLimits } from './types.js'

/** A frame that passed validation, in the shape the server acts on. */
export type ClientMessage =
  | { kind: 'subscribe'; topics: string[] }
  | { kind: 'unsubscribe'; topics: string[] }
  /** `fields` is the whole parsed object and `text` the frame as received, for verbatim relay. */
  | { kind: 'publish'; topic: string; fields: Record<string, unknown>; text: string }
  | { kind: 'ping' }
  /** A `type` the protocol does not define: ignored, as y-webrtc's server does, so newer clients keep working. */
  | { kind: 'unknown'; type: string }

/** Outcome of {@link parseFrame}: the message, or why the sender must be disconnected. */
export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; violation: Violation }

type TopicLimits = Pick<SignalingLimits, 'maxTopicLength' | 'maxTopicsPerConnection'>

const invalid = (detail: string): ParseResult => ({
  ok: false,
  violation: { code: CloseCode.PolicyViolation, reason: `invalid message: ${detail}` },
})

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Checks one topic name; returns a violation, or undefined when it is acceptable. */
function checkTopic(topic: unknown, limits: TopicLimits): ParseResult | undefined {
  // An empty topic is refused because y-webrtc's server treats a falsy topic as "no topic" and
  // drops the publish; accepting it here would make the two servers disagree.
  if (typeof topic !== 'string' || topic.length === 0) return invalid('topic must be a non-empty string')
  if (topic.length > limits.maxTopicLength) {
    return { ok: false, violation: { code: CloseCode.PolicyViolation, reason: 'topic too long' } }
  }
  return undefined
}

function parseTopicList(kind: 'subscribe' | 'unsubscribe', topics: unknown, limits: TopicLimits): ParseResult {
  if (!Array.isArray(topics)) return invalid('topics must be an array')
  // Checked before looking at the entries so a huge list is refused without walking it.
  if (topics.length > limits.maxTopicsPerConnection) {
    return { ok: false, violation: { code: CloseCode.PolicyViolation, reason: 'too many topics' } }
  }
  for (const topic of topics) {
    const bad = checkTopic(topic, limits)
    if (bad) return bad
  }
  return { ok: true, message: { kind, topics: [...new Set(topics as string[])] } }
}

/**
 * Parses and validates one text frame of the y-webrtc signaling protocol.
 * Never throws: anything malformed becomes a {@link Violation} to close the sender with.
 */
export function parseFrame(text: string, limits: TopicLimits): ParseResult {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, violation: { code: CloseCode.InvalidPayload, reason: 'malformed JSON' } }
  }
  if (!isRecord(value)) return invalid('not a JSON object')
  const type = value['type']
  if (typeof type !== 'string') return invalid('type must be a string')
  switch (type) {
    case 'subscribe':
    case 'unsubscribe':
      return parseTopicList(type, value['topics'], limits)
    case 'publish': {
      const topic = value['topic']
      const bad = checkTopic(topic, limits)
      if (bad) return bad
      return { ok: true, message: { kind: 'publish', topic: topic as string, fields: value, text } }
    }
    case 'ping':
      return { ok: true, message: { kind: 'ping' } }
    default:
      return { ok: true, message: { kind: 'unknown', type } }
  }
}
