import type { Command } from './data-msg.js'

/** Counts for one kind of message. */
export interface MessageCounts {
  /** Messages. */
  messages: number
  /** Encoded bytes of those messages. */
  bytes: number
  /** Bytes the same messages would have cost as full JSON of the record (the original's baseline). */
  jsonBytes: number
}

/** What a cache has sent and received. */
export interface CacheStats extends MessageCounts {
  /** Sent messages by command. */
  byCommand: Record<Command, MessageCounts>
  /** Messages applied from others. */
  received: {
    /** Messages applied. */
    messages: number
    /** Their encoded bytes. */
    bytes: number
  }
  /** Messages held back because they arrived before what they build on. */
  held: number
  /** Held messages dropped (over the hold limit, or refused once their turn came). */
  dropped: number
  /** `1 - bytes / jsonBytes`: the share of bytes that sending diffs saved. */
  saving: number
}

const zero = (): MessageCounts => ({ messages: 0, bytes: 0, jsonBytes: 0 })

/** Mutable counters behind {@link CacheStats}. */
export class StatsCounter {
  private readonly sent: Record<Command, MessageCounts> = { new: zero(), upd: zero(), del: zero(), ret: zero() }
  private readonly got = { messages: 0, bytes: 0 }
  held = 0
  dropped = 0

  sentMessage(cmd: Command, bytes: number, jsonBytes: number): void {
    add(this.sent[cmd], bytes, jsonBytes)
  }

  receivedMessage(bytes: number): void {
    this.got.messages++
    this.got.bytes += bytes
  }

  snapshot(): CacheStats {
    const total = zero()
    const byCommand = {} as Record<Command, MessageCounts>
    for (const cmd of Object.keys(this.sent) as Command[]) {
      const c = this.sent[cmd]
      byCommand[cmd] = { ...c }
      add(total, c.bytes, c.jsonBytes, c.messages)
    }
    const saving = total.jsonBytes > 0 ? 1 - total.bytes / total.jsonBytes : 0
    return { ...total, byCommand, received: { ...this.got }, held: this.held, dropped: this.dropped, saving }
  }
}

function add(c: MessageCounts, bytes: number, jsonBytes: number, messages = 1): void {
  c.messages += messages
  c.bytes += bytes
  c.jsonBytes += jsonBytes
}
