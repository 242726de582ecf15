// Network namespaces for a NAT test: a "public" namespace with a bridge (the internet of the test,
// 203.0.113.0/24, a documentation range that exists only inside these namespaces), and per peer a
// NAT namespace (masquerading its LAN behind one public address) and the peer's own namespace on
// that LAN. Nothing is attached to the host's namespace, so no packet of the test can leave them.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'

/** The public side: where signaling and coturn listen. */
export const PUBLIC_IP = '203.0.113.1'

export interface NatTopology {
  /** Namespace of signaling and coturn. */
  readonly pub: string
  /** One namespace per peer, each behind its own NAT. */
  readonly peers: string[]
  /** Runs a command in namespace `ns` (argv prefix for spawn). */
  wrap(ns: string): string[]
  /** Deletes every namespace (their interfaces go with them). Safe to call twice. */
  destroy(): void
}

function run(args: string[]): void {
  const result = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' })
  if (result.status !== 0)
    throw new Error(`${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.error}`)
}

const alive = new Set<NatTopology>()
let hooked = false

/**
 * Whether namespaces can be made here (root, `ip`, and a NAT through iptables or nft); the reason
 * to skip when not.
 */
export function netnsUnavailable(): string | false {
  const probe = `ds-probe-${randomBytes(3).toString('hex')}`
  try {
    run(['ip', 'netns', 'add', probe])
  } catch (err) {
    return `network namespaces are refused here: ${(err as Error).message.trim()}`
  }
  try {
    masquerade(probe, 'lo')
    return false
  } catch (err) {
    return `no NAT in a network namespace (neither iptables nor nft worked): ${(err as Error).message.trim()}`
  } finally {
    spawnSync('ip', ['netns', 'del', probe])
  }
}

/** Masquerades everything leaving namespace `ns` through `iface`: iptables, else nft. */
function masquerade(ns: string, iface: string): void {
  const iptables = spawnSync(
    'ip',
    ['netns', 'exec', ns, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', iface, '-j', 'MASQUERADE'],
    { encoding: 'utf8' },
  )
  if (iptables.status === 0) return
  const script = `table ip nat { chain post { type nat hook postrouting priority 100; oifname "${iface}" masquerade; } }`
  const nft = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, encoding: 'utf8' })
  if (nft.status !== 0)
    throw new Error(`iptables: ${iptables.stderr || iptables.error}; nft: ${nft.stderr || nft.error}`)
}

/** Builds the public namespace and `count` NAT'd peer namespaces (LANs 10.N.0.0/24). */
export function createNatTopology(count: number): NatTopology {
  const id = randomBytes(3).toString('hex')
  const pub = `ds-${id}-pub`
  const nats = Array.from({ length: count }, (_, i) => `ds-${id}-nat${i + 1}`)
  const peers = Array.from({ length: count }, (_, i) => `ds-${id}-p${i + 1}`)
  const made: string[] = []
  const topology: NatTopology = {
    pub,
    peers,
    wrap: (ns) => ['ip', 'netns', 'exec', ns],
    destroy() {
      for (const ns of made.splice(0)) spawnSync('ip', ['netns', 'del', ns])
      alive.delete(topology)
    },
  }
  alive.add(topology)
  if (!hooked) {
    hooked = true
    // A test that dies midway still leaves no namespace behind.
    process.once('exit', () => {
      for (const t of alive) t.destroy()
    })
  }
  const inNs = (ns: string, ...args: string[]) => run(['ip', '-n', ns, ...args])
  const sysctl = (ns: string, setting: string) => run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', setting])
  try {
    for (const ns of [pub, ...nats, ...peers]) {
      run(['ip', 'netns', 'add', ns])
      made.push(ns)
      inNs(ns, 'link', 'set', 'lo', 'up')
      // IPv4 only: link-local IPv6 host candidates would only add noise to what ICE tries.
      sysctl(ns, 'net.ipv6.conf.all.disable_ipv6=1')
    }
    inNs(pub, 'link', 'add', 'br0', 'type', 'bridge')
    inNs(pub, 'addr', 'add', `${PUBLIC_IP}/24`, 'dev', 'br0')
    inNs(pub, 'link', 'set', 'br0', 'up')
    nats.forEach((nat, i) => {
      const n = i + 1
      const peer = peers[i]!
      // WAN: the NAT's public address on the bridge.
      inNs(nat, 'link', 'add', 'wan', 'type', 'veth', 'peer', 'name', `up${n}`, 'netns', pub)
      inNs(pub, 'link', 'set', `up${n}`, 'master', 'br0')
      inNs(pub, 'link', 'set', `up${n}`, 'up')
      inNs(nat, 'addr', 'add', `203.0.113.${10 + n}/24`, 'dev', 'wan')
      inNs(nat, 'link', 'set', 'wan', 'up')
      // LAN: the peer behind it.
      inNs(nat, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer)
      inNs(nat, 'addr', 'add', `10.${n}.0.1/24`, 'dev', 'lan')
      inNs(nat, 'link', 'set', 'lan', 'up')
      inNs(peer, 'addr', 'add', `10.${n}.0.2/24`, 'dev', 'eth0')
      inNs(peer, 'link', 'set', 'eth0', 'up')
      inNs(peer, 'route', 'add', 'default', 'via', `10.${n}.0.1`)
      sysctl(nat, 'net.ipv4.ip_forward=1')
      masquerade(nat, 'wan')
    })
  } catch (err) {
    topology.destroy()
    throw err
  }
  return topology
}
