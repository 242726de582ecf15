import type SimplePeer from 'simple-peer'

/**
 * Drops the ICE candidates `accept` refuses from a simple-peer signal: a trickled candidate, or
 * the `a=candidate:` lines of an offer or answer (which already list the candidates gathered so
 * far). Returns null when the whole signal is a refused candidate.
 */
export function filterCandidates(
  signal: SimplePeer.SignalData,
  accept: ((candidate: string) => boolean) | undefined,
): SimplePeer.SignalData | null {
  if (!accept) return signal
  const candidate = (signal as { candidate?: { candidate?: string } }).candidate?.candidate
  if (candidate !== undefined) return candidate === '' || accept(candidate) ? signal : null
  const described = signal as { sdp?: unknown }
  if (typeof described.sdp !== 'string') return signal
  const sdp = described.sdp
    .split('\r\n')
    .filter((line: string) => !line.startsWith('a=candidate:') || accept(line.slice(2)))
    .join('\r\n')
  return { ...signal, sdp } as SimplePeer.SignalData
}
