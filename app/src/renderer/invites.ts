/**
 * Private rooms and invites: creating a room makes this device its writer (a new writer key and a
 * random secret); an invite code carries the room to another device, with the writer key for a
 * writer invite and without it for a read-only one; joining from a code checks it first.
 */
import { createWriterKey, type WriterKeyPair } from '@diffstream/core'
import { accessState } from './access.js'
import { errorText, type Host } from './host.js'
import {
  checkWriterKey,
  decodeInvite,
  encodeInvite,
  InviteError,
  inviteLink,
  newRoomSecret,
  webInviteUrl,
  type Invite,
} from './invite-code.js'
import type { RoomSession } from './room-session.js'
import type { InviteView, JoinParams } from './state.js'

/** What joining from an invite takes besides the code (the room and its keys come from the code). */
export type InviteJoinParams = Omit<JoinParams, 'room' | 'access'>

const LOOPBACK = /^wss?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:|\/|$)/i

export class Invites {
  constructor(
    private readonly host: Host,
    private readonly session: RoomSession,
  ) {}

  /** Creates a private room whose only writer is this device, and joins it. */
  async createRoom(params: Omit<JoinParams, 'access'>): Promise<void> {
    if (!globalThis.crypto?.subtle) {
      this.host.store.set({
        joinError:
          'Private rooms need a secure page (WebCrypto): open the app through http://localhost on this machine, or use the desktop app.',
      })
      return
    }
    let writerKey: WriterKeyPair
    try {
      writerKey = await createWriterKey()
    } catch (err) {
      this.host.store.set({ joinError: `This browser cannot make a writer key (Ed25519): ${errorText(err)}` })
      return
    }
    const access = { kind: 'private' as const, secret: newRoomSecret(), writers: [writerKey.publicKey], writerKey }
    const joined = await this.session.join({ ...params, access })
    if (joined && this.host.platform.mode === 'web')
      this.host.toast(
        'info',
        'A browser keeps this room’s keys for this tab only: keep a writer invite (Invite) to come back to it later.',
      )
  }

  /** Joins the room of an invite code or link; a bad code is reported on the join screen. */
  async joinInvite(text: string, params: InviteJoinParams): Promise<void> {
    let invite: Invite
    try {
      invite = decodeInvite(text)
      if (invite.writerKey) await checkWriterKey(invite.writerKey)
    } catch (err) {
      this.host.store.set({
        joinError: err instanceof InviteError ? err.message : `Not a usable invite: ${errorText(err)}`,
      })
      return
    }
    this.host.store.set({ pendingInvite: null })
    await this.session.join({
      ...params,
      room: invite.room,
      signaling: invite.signaling.length > 0 ? invite.signaling.join('\n') : params.signaling,
      access: { kind: 'private', secret: invite.secret, writers: invite.writers, writerKey: invite.writerKey },
    })
  }

  /** Opens the invite dialog on a new code; a writer invite only from a device that writes. */
  show(kind: InviteView['kind']): void {
    const current = this.session.current
    if (!current || current.access.kind !== 'private')
      return void this.host.fail('Only private rooms have invites: an open room is joined by its name and password.')
    const { access } = current
    if (kind === 'writer' && accessState(access) !== 'writer')
      return void this.host.fail('This device only reads in this room, so it can only make read-only invites.')
    let code: string
    try {
      code = encodeInvite({
        room: this.host.store.state.room?.name ?? '',
        signaling: this.reachableSignaling(current.signaling.split('\n')),
        secret: access.secret,
        writers: access.writers,
        ...(kind === 'writer' && access.writerKey ? { writerKey: access.writerKey } : {}),
      })
    } catch (err) {
      return void this.host.fail(`Could not make an invite: ${errorText(err)}`)
    }
    this.host.store.set({ invite: { kind, code, link: inviteLink(code), webUrl: this.webUrl(code) } })
  }

  close(): void {
    this.host.store.set({ invite: null })
  }

  /** This machine's loopback signaling address means nothing elsewhere: the LAN address stands in for it. */
  private reachableSignaling(urls: string[]): string[] {
    const lan = this.host.store.state.info?.lan.find((l) => l.signalingUrl !== null)?.signalingUrl
    const out = urls.map((u) => (lan && LOOPBACK.test(u) ? lan : u))
    return Array.from(new Set(out))
  }

  private webUrl(code: string): string | null {
    if (typeof location === 'undefined' || !/^https?:$/.test(location.protocol)) return null
    return webInviteUrl(`${location.origin}${location.pathname}`, code)
  }
}
