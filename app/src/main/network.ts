/** Where other machines on the LAN can reach this one, from `os.networkInterfaces()`. */
import type { NetworkInterfaceInfo } from 'node:os'
import type { LanAddress } from '../shared/ipc.js'

function hostForUrl(address: string): string {
  return address.includes(':') ? `[${address}]` : address
}

/**
 * External IPv4 addresses first (what people type), then global IPv6 ones; loopback, link-local
 * and internal interfaces are left out because another machine cannot use them.
 */
export function lanAddresses(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
  appPort: number,
  signalingPort: number | null,
): LanAddress[] {
  const v4: LanAddress[] = []
  const v6: LanAddress[] = []
  for (const [iface, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal) continue
      const isV4 = info.family === 'IPv4' || (info.family as unknown) === 4
      if (isV4 && info.address.startsWith('169.254.')) continue
      if (!isV4 && (/^fe80:/i.test(info.address) || info.address === '::1')) continue
      const host = hostForUrl(info.address)
      const entry: LanAddress = {
        iface,
        address: info.address,
        appUrl: `http://${host}:${appPort}/`,
        signalingUrl: signalingPort === null ? null : `ws://${host}:${signalingPort}`,
      }
      ;(isV4 ? v4 : v6).push(entry)
    }
  }
  return [...v4, ...v6]
}

/** `ws://host:port` for a signaling server reached through the host name the page was loaded from. */
export function signalingUrlFor(hostHeader: string | undefined, signalingPort: number): string {
  let hostname = '127.0.0.1'
  if (hostHeader) {
    try {
      hostname = new URL(`http://${hostHeader}`).hostname || hostname
    } catch {
      // a malformed Host header: the loopback address still works for a local page
    }
  }
  return `ws://${hostname}:${signalingPort}`
}
