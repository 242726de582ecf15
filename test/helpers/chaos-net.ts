// The network of the chaos harness: a hub namespace that routes between one namespace per peer
// (peer i on 10.77.i.2/24, its gateway 10.77.i.1 on the hub) and runs the signaling server. A
// partition is real: iptables in the hub drops what crosses between two peers (a link cut) or
// everything to and from one peer, signaling included (a peer cut off). Nothing touches the host's
// namespace. Where namespaces cannot be made, peers run on loopback and a peer is cut off with
// `room.setOnline(false)` instead; link cuts are then not possible (see `Partitioner.kind`).
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { netnsUnavailable } from './netns.js'

export interface Partitioner {
  /** 'netns': real partitions in namespaces; 'online': setOnline on loopback. */
  readonly kind: 'netns' | 'online'
  /** How to run peer i (a command prefix), and the signaling host it uses. */
  wrap(i: number): string[]
  signalingHost(i: number): string
  /** Where the signaling server runs and listens. */
  readonly hubWrap: string[]
  readonly hubListen: string
  /** Cuts or restores the path between two peers (netns only). */
  setLink(a: number, b: number, up: boolean): void
  /** Cuts a peer off from everyone, signaling included (netns only; else the caller uses setOnline). */
  setIsolated(i: number, isolated: boolean): void
  /** Restores every path. */
  healAll(): void
  destroy(): void
}

function run(args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.error}`)
}

const alive = new Set<Partitioner>()
let hooked = false

/** A hub and `count` peer namespaces, or the loopback fallback (with the reason it was needed). */
export function createChaosNet(count: number): { net: Partitioner; fallback: string | null } {
  const refused = netnsUnavailable()
  if (refused) return { net: loopbackNet(), fallback: refused }
  return { net: namespaceNet(count), fallback: null }
}

function loopbackNet(): Partitioner {
  return {
    kind: 'online',
    wrap: () => [],
    signalingHost: () => '127.0.0.1',
    hubWrap: [],
    hubListen: '127.0.0.1',
    setLink: () => undefined,
    setIsolated: () => undefined,
    healAll: () => undefined,
    destroy: () => undefined,
  }
}

function namespaceNet(count: number): Partitioner {
  const id = randomBytes(3).toString('hex')
  const hub = `dsc-${id}-hub`
  const peers = Array.from({ length: count }, (_, i) => `dsc-${id}-p${i}`)
  const made: string[] = []
  const rules = new Set<string>()
  const subnet = (i: number) => `10.77.${i}.0/24`
  const ipt = (action: '-I' | '-D', spec: string[]) => run(['ip', 'netns', 'exec', hub, 'iptables', action, ...spec])
  const rule = (key: string, spec: string[], on: boolean) => {
    if (on === rules.has(key)) return
    if (on) rules.add(key)
    else rules.delete(key)
    ipt(on ? '-I' : '-D', spec)
  }
  const cut = (a: number, b: number, on: boolean) => {
    rule(`link ${a}>${b}`, ['FORWARD', '-s', subnet(a), '-d', subnet(b), '-j', 'DROP'], on)
    rule(`link ${b}>${a}`, ['FORWARD', '-s', subnet(b), '-d', subnet(a), '-j', 'DROP'], on)
  }
  const net: Partitioner = {
    kind: 'netns',
    wrap: (i) => ['ip', 'netns', 'exec', peers[i]!],
    signalingHost: (i) => `10.77.${i}.1`,
    hubWrap: ['ip', 'netns', 'exec', hub],
    hubListen: '0.0.0.0',
    setLink(a, b, up) {
      cut(Math.min(a, b), Math.max(a, b), !up)
    },
    setIsolated(i, isolated) {
      rule(`in ${i}`, ['INPUT', '-s', subnet(i), '-j', 'DROP'], isolated)
      rule(`out ${i}`, ['FORWARD', '-s', subnet(i), '-j', 'DROP'], isolated)
      rule(`to ${i}`, ['FORWARD', '-d', subnet(i), '-j', 'DROP'], isolated)
    },
    healAll() {
      for (const key of Array.from(rules)) {
        const [kind, rest] = key.split(' ') as [string, string]
        if (kind === 'link') {
          const [a, b] = rest.split('>').map(Number) as [number, number]
          rule(key, ['FORWARD', '-s', subnet(a), '-d', subnet(b), '-j', 'DROP'], false)
        } else net.setIsolated(Number(rest), false)
      }
    },
    destroy() {
      for (const ns of made.splice(0)) spawnSync('ip', ['netns', 'del', ns])
      alive.delete(net)
    },
  }
  alive.add(net)
  if (!hooked) {
    hooked = true
    // A run that dies midway still leaves no namespace behind.
    process.once('exit', () => {
      for (const n of alive) n.destroy()
    })
  }
  const inNs = (ns: string, ...args: string[]) => run(['ip', '-n', ns, ...args])
  const sysctl = (ns: string, setting: string) => run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', setting])
  try {
    for (const ns of [hub, ...peers]) {
      run(['ip', 'netns', 'add', ns])
      made.push(ns)
      inNs(ns, 'link', 'set', 'lo', 'up')
      // IPv4 only: link-local IPv6 host candidates would only add noise to what ICE tries.
      sysctl(ns, 'net.ipv6.conf.all.disable_ipv6=1')
    }
    sysctl(hub, 'net.ipv4.ip_forward=1')
    peers.forEach((ns, i) => {
      inNs(hub, 'link', 'add', `h${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
      inNs(hub, 'addr', 'add', `10.77.${i}.1/24`, 'dev', `h${i}`)
      inNs(hub, 'link', 'set', `h${i}`, 'up')
      inNs(ns, 'addr', 'add', `10.77.${i}.2/24`, 'dev', 'eth0')
      inNs(ns, 'link', 'set', 'eth0', 'up')
      inNs(ns, 'route', 'add', 'default', 'via', `10.77.${i}.1`)
    })
  } catch (err) {
    net.destroy()
    throw err
  }
  return net
}
