import * as Y from 'yjs'
import { DiffStreamError, InvalidMessageError, UnauthorizedWriteError } from '../errors.js'
import { inspectUpdate } from '../update-inspect.js'
import type { Frame } from './frames.js'
import { encodeSyncStep2, encodeUpdate } from './frames.js'
import type { ReplicaLink } from './replica-link.js'
import { BatchSigner, SignedLog, type CheckedBatch } from './signed-batch.js'
import { WriterBindings } from './writer-binding.js'
import type { EpochInfo } from '../epoch.js'
import { encodeBase, encodeBinding, encodeSignedBatch, type BaseSignature, type SignedBatch } from './writer-frames.js'
import type { WriterKeyPair } from './writer-key.js'

/** Frames a link may have waiting behind a signature check before it counts as a flood. */
const MAX_WAITING = 16 * 1024
/** An empty Yjs v1 update: no structs, no deletions. What closes a signed sync answer. */
const EMPTY_UPDATE = Uint8Array.of(0, 0)

/** What the gate needs of the replica it guards. */
export interface GateHost {
  epoch(): number
  /** Whether this copy holds everything the update carries already (then it changes nothing). */
  holds(update: Uint8Array): boolean
  /** Handles a frame as an open room would (after the gate let it through). */
  deliver(link: ReplicaLink, frame: Frame): void
  /** Applies a checked signed batch (as a sync answer when `answer`). */
  applySigned(link: ReplicaLink, checked: CheckedBatch, answer: boolean): void
  /** A batch this writer signed: to be logged and sent like a relayed one. */
  signed(checked: CheckedBatch): void
  /** Moves to the epoch of a verified signed base sent by `link`. */
  adoptBase(link: ReplicaLink, info: EpochInfo, state: Uint8Array): void
  /** A peer sent something a signed room refuses (the gate drops it right after). */
  refused(link: ReplicaLink, error: UnauthorizedWriteError): void
  warn(message: string): void
}

class GateLink {
  readonly waiting: Frame[] = []
  busy = false
  dead = false
  /** Client ids whose binding this link got from us. */
  readonly sent = new Set<number>()
}

/** Options of a signed room's gate. */
export interface WriterGateOptions {
  room: string
  writers: readonly string[]
  /** This peer's key; it writes only when the key is listed. */
  writerKey?: WriterKeyPair
}

/**
 * The guard of a signed room (docs/writers.md): every frame a link sends passes here in order;
 * bindings and signed batches are checked (signatures asynchronously, so later frames of that link
 * wait), unsigned updates are refused and their sender dropped. It signs what this peer writes,
 * sends the bindings a link needs before the batches that need them, keeps the signed log and
 * answers sync requests from it.
 */
export class WriterGate {
  readonly bindings: WriterBindings
  readonly log = new SignedLog()
  private readonly signer: BatchSigner | null
  private readonly links = new Map<ReplicaLink, GateLink>()
  private signing: Promise<unknown> = Promise.resolve()
  /** The current epoch's base (after a compaction) and, once known, a writer's signature of it. */
  private base: { info: EpochInfo; state: Uint8Array; sig: BaseSignature | null } | null = null
  /** Links that asked for the current epoch's base before its signature was known. */
  private readonly wants = new Set<ReplicaLink>()

  constructor(
    private readonly host: GateHost,
    options: WriterGateOptions,
  ) {
    this.bindings = new WriterBindings(options.room, options.writers)
    const key = options.writerKey
    this.signer = key && this.bindings.lists(key.publicKey) ? new BatchSigner(options.room, key) : null
    this.signer?.ready().catch((err: unknown) => host.warn(`the writer key does not import: ${String(err)}`))
  }

  /** Whether this peer may write (its key is listed). */
  get writes(): boolean {
    return this.signer !== null
  }

  /** Resolves once every batch queued for signing is signed and handed on. */
  idle(): Promise<void> {
    return this.signing.then(() => undefined)
  }

  // --- incoming -------------------------------------------------------------------------------

  opened(link: ReplicaLink): void {
    const g = new GateLink()
    this.links.set(link, g)
    if (!link.followsEpochs) {
      this.host.warn(`peer ${link.id} speaks y-webrtc: in a signed room it can read but not write`)
      return
    }
    for (const b of this.bindings.all()) this.sendBinding(link, g, b.client)
  }

  closed(link: ReplicaLink): void {
    const g = this.links.get(link)
    if (g) g.dead = true
    this.links.delete(link)
    this.wants.delete(link)
  }

  /** Takes a frame from `link`; it reaches the replica in arrival order once it passed. */
  receive(link: ReplicaLink, frame: Frame): void {
    const g = this.links.get(link)
    if (!g || g.dead) return
    if (g.waiting.length >= MAX_WAITING) {
      this.fail(link, g, new InvalidMessageError(`more than ${MAX_WAITING} frames waiting for a signature check`))
      return
    }
    g.waiting.push(frame)
    this.drain(link, g)
  }

  private drain(link: ReplicaLink, g: GateLink): void {
    while (!g.busy && !g.dead && g.waiting.length > 0) {
      const frame = g.waiting.shift()!
      try {
        const work = this.pass(link, frame)
        if (!work) continue
        g.busy = true
        work.then(
          () => {
            g.busy = false
            this.drain(link, g)
          },
          (err: unknown) => this.fail(link, g, err),
        )
      } catch (err) {
        this.fail(link, g, err)
      }
    }
  }

  /** Lets a frame through at once, or returns the check it waits for; throws when it is refused. */
  private pass(link: ReplicaLink, frame: Frame): Promise<void> | null {
    switch (frame.kind) {
      case 'writer-binding':
        if (!link.followsEpochs) return null
        return this.bindings.accept(frame).then(() => undefined)
      case 'signed-batch': {
        if (!link.followsEpochs) return null
        const ranges = inspectUpdate(frame.update).ranges
        const key = this.bindings.check(frame, ranges.keys())
        const batch: SignedBatch = { epoch: frame.epoch, signer: frame.signer, signature: frame.signature, update: frame.update }
        return this.bindings.verify(batch, key).then(() => {
          if (this.links.get(link)?.dead !== false) return
          if (batch.epoch === this.host.epoch()) this.host.applySigned(link, { batch, ranges }, frame.answer)
        })
      }
      case 'signed-base': {
        if (!link.followsEpochs) return null
        const sig: BaseSignature = frame
        return this.bindings.verifyBase(sig, frame.state).then(() => {
          if (this.links.get(link)?.dead !== false || frame.epoch <= this.host.epoch()) return
          this.host.adoptBase(link, { epoch: frame.epoch, parent: frame.parent, cutState: frame.cutState }, frame.state)
          // adopted (it throws otherwise): this copy holds the signed base now and can pass it on
          if (this.base?.info.epoch === frame.epoch) this.signedBase(sig, link)
        })
      }
      case 'base-signature': {
        const base = this.base
        if (!link.followsEpochs || !base || base.sig || base.info.epoch !== frame.epoch) return null
        const sig: BaseSignature = frame
        // Not a write: a signature that does not match this copy's base is only not passed on.
        return this.bindings.verifyBase(sig, base.state).then(
          () => {
            if (this.base === base && !base.sig) this.signedBase(sig, link)
          },
          (err: unknown) => this.host.warn(`epoch ${sig.epoch}: a base signature that does not match this copy's base (${String(err)})`),
        )
      }
      case 'update':
      case 'sync-step2':
        // A y-webrtc reader answers our step 1 with what it holds: harmless when it is nothing new.
        if (!this.host.holds(frame.update))
          throw new UnauthorizedWriteError(`an unsigned update (${frame.update.length} bytes) with structs or deletions this copy lacks`)
        break
      case 'sync-packed':
        throw new UnauthorizedWriteError('an unsigned packed sync frame')
      case 'epoch-base':
        throw new UnauthorizedWriteError('an unsigned epoch base (a signed room takes only writer-signed ones)')
      default:
        break
    }
    this.host.deliver(link, frame)
    return null
  }

  private fail(link: ReplicaLink, g: GateLink, err: unknown): void {
    if (g.dead) return
    g.dead = true
    g.waiting.length = 0
    const reason = err instanceof Error ? err.message : String(err)
    if (err instanceof UnauthorizedWriteError) this.host.refused(link, err)
    link.drop(err instanceof DiffStreamError ? `${err.name}: ${reason}` : reason)
  }

  // --- outgoing -------------------------------------------------------------------------------

  /**
   * Signs what this peer wrote (merged into one batch) and hands it back through `host.signed`;
   * a peer that is not a writer keeps it (docs/writers.md, "Writing").
   */
  private signLocal(update: Uint8Array, client: number): void {
    const signer = this.signer
    if (!signer) return
    const ranges = inspectUpdate(update).ranges
    const epoch = this.host.epoch()
    const signerClient = ranges.size > 0 ? ranges.keys().next().value! : client
    this.signing = this.signing.then(async () => {
      for (const c of new Set([signerClient, ...ranges.keys()]))
        if (this.bindings.keyOf(c) === undefined) this.bindings.own(await signer.bind(c))
      const batch = await signer.sign(epoch, signerClient, update)
      if (epoch !== this.host.epoch()) return
      this.keep({ batch, ranges })
      this.host.signed({ batch, ranges })
    }).catch((err: unknown) => this.host.warn(`a write could not be signed: ${String(err)}`))
  }

  /**
   * What of a flush goes out now: the signed batches (relayed, or signed here); the rest, this
   * peer's own writes, is merged and signed, and comes back through `host.signed`.
   */
  outgoing<I extends { update: Uint8Array; except: unknown; signed?: CheckedBatch }>(items: I[], client: number): I[] {
    const local = items.filter((i) => !i.signed && i.except === null).map((i) => i.update)
    if (local.length > 0) this.signLocal(local.length === 1 ? local[0]! : Y.mergeUpdates(local), client)
    return items.filter((i) => i.signed)
  }

  // --- epochs --------------------------------------------------------------------------------

  /**
   * This copy moved to a new epoch whose base is `state`: its own compaction, the same cut compacted
   * the same way (byte for byte the same base), or a signed base it adopted. The log starts anew; a
   * writer signs the base, the others hand it on once a writer's signature of it is known.
   */
  newEpoch(info: EpochInfo, state: Uint8Array, client: number): void {
    this.log.clear()
    this.wants.clear()
    const base = { info: { ...info }, state, sig: null }
    this.base = base
    const signer = this.signer
    if (!signer) return
    this.signing = this.signing
      .then(async () => {
        if (this.bindings.keyOf(client) === undefined) this.bindings.own(await signer.bind(client))
        const sig = await signer.signBase(info, client, state)
        if (this.base === base && !base.sig) this.signedBase(sig, null)
      })
      .catch((err: unknown) => this.host.warn(`an epoch base could not be signed: ${String(err)}`))
  }

  /** A writer's signature of the current base is known: every neighbour learns it, waiting asks are answered. */
  private signedBase(sig: BaseSignature, from: ReplicaLink | null): void {
    const base = this.base
    if (!base || base.info.epoch !== sig.epoch || base.sig) return
    base.sig = sig
    const frame = encodeBase(sig, null)
    for (const [link, g] of this.links) {
      if (link === from || !link.followsEpochs) continue
      this.sendBinding(link, g, sig.signer)
      link.send(frame)
    }
    const waiting = Array.from(this.wants)
    this.wants.clear()
    for (const link of waiting) this.want(link, sig.epoch)
  }

  /** A peer wants the base of `epoch`: sent once a writer's signature of it is known. */
  want(link: ReplicaLink, epoch: number): void {
    const base = this.base
    const g = this.links.get(link)
    if (!base || base.info.epoch !== epoch || !g) return
    if (!base.sig) {
      this.wants.add(link)
      return
    }
    this.sendBinding(link, g, base.sig.signer)
    link.send(encodeBase(base.sig, base.state))
  }

  /** Logs a batch this copy signed or applied, for the sync answers it gives. */
  keep(checked: CheckedBatch): void {
    if (!this.log.add(checked)) this.host.warn('the signed log is full: newcomers may miss later writes')
  }

  /** Sends a signed batch to `link` (a y-webrtc peer gets the plain update), bindings first. */
  send(link: ReplicaLink, checked: CheckedBatch, answer: boolean): void {
    if (!link.followsEpochs) {
      link.send(answer ? encodeSyncStep2(checked.batch.update) : encodeUpdate(checked.batch.update))
      return
    }
    const g = this.links.get(link)
    if (!g) return
    this.sendBinding(link, g, checked.batch.signer)
    for (const c of checked.ranges.keys()) this.sendBinding(link, g, c)
    link.send(encodeSignedBatch(checked.batch, answer))
  }

  /** Answers a DiffStream peer's sync step 1 with the logged batches it lacks, then an empty step 2. */
  answer(link: ReplicaLink, sv: Map<number, number>): void {
    for (const entry of this.log.missing(sv)) this.send(link, entry, true)
    link.send(encodeSyncStep2(EMPTY_UPDATE))
  }

  private sendBinding(link: ReplicaLink, g: GateLink, client: number): void {
    if (g.sent.has(client)) return
    const b = this.bindings.binding(client)
    if (!b) return
    g.sent.add(client)
    link.send(encodeBinding(b))
  }
}
