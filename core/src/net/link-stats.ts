import type { CandidateType, PeerPath } from './types.js'

/** The part of an `RTCPeerConnection` read here. */
export interface StatsSource {
  getStats(): Promise<RTCStatsReport>
}

type Stat = Record<string, unknown> & { id: string; type: string }

const TYPES: readonly CandidateType[] = ['host', 'prflx', 'srflx', 'relay']

function candidateType(value: unknown): CandidateType | null {
  return TYPES.includes(value as CandidateType) ? (value as CandidateType) : null
}

/**
 * The candidate pair ICE selected for a connection: the type of each end, the path's type, the
 * transport protocol and the current round-trip time. Null while there is none (still connecting)
 * or when the platform's stats do not say.
 *
 * The path's type is the less direct of the two ends (host, then prflx, srflx, relay): a pair of a
 * host candidate and the other side's server-reflexive one crossed a NAT, and either end being a
 * relay means the data goes through the TURN server.
 */
export async function selectedPath(pc: StatsSource): Promise<Omit<PeerPath, 'peerId'> | null> {
  const stats = new Map<string, Stat>()
  const report = await pc.getStats()
  report.forEach((value: unknown) => {
    const stat = value as Stat
    if (typeof stat?.id === 'string') stats.set(stat.id, stat)
  })
  let pair: Stat | undefined
  for (const stat of stats.values()) {
    // Chromium and libwebrtc name the pair on the transport; Firefox marks it `selected`.
    if (stat.type === 'transport' && typeof stat.selectedCandidatePairId === 'string')
      pair = stats.get(stat.selectedCandidatePairId)
  }
  pair ??= Array.from(stats.values()).find(
    (s) => s.type === 'candidate-pair' && (s.selected === true || (s.nominated === true && s.state === 'succeeded')),
  )
  if (!pair) return null
  const local = stats.get(String(pair.localCandidateId))
  const remote = stats.get(String(pair.remoteCandidateId))
  const localType = candidateType(local?.candidateType)
  const remoteType = candidateType(remote?.candidateType)
  if (!localType || !remoteType) return null
  const rtt = pair.currentRoundTripTime
  const protocol = local?.protocol
  return {
    type: TYPES[Math.max(TYPES.indexOf(localType), TYPES.indexOf(remoteType))]!,
    local: localType,
    remote: remoteType,
    protocol: typeof protocol === 'string' ? protocol : null,
    rttMs: typeof rtt === 'number' && Number.isFinite(rtt) ? Math.round(rtt * 10_000) / 10 : null,
  }
}

/** What {@link linkPaths} needs of a link. */
export interface PathLink {
  readonly remoteId: string
  readonly connected: boolean
  readonly pc: StatsSource | undefined
}

/** The selected path of each connected link; links without one yet (or closing) are left out. */
export async function linkPaths(links: Iterable<PathLink>): Promise<PeerPath[]> {
  const connected = Array.from(links).filter((l) => l.connected)
  const paths = await Promise.all(
    connected.map(async (link) => {
      const pc = link.pc
      if (!pc) return null
      try {
        const path = await selectedPath(pc)
        return path && { peerId: link.remoteId, ...path }
      } catch {
        // A connection that closed while its stats were read.
        return null
      }
    }),
  )
  return paths.filter((p): p is PeerPath => p !== null)
}
