/**
 * `diffstream://join?code=…` links: the operating system starts the app with the link as an
 * argument (Windows, Linux; a second start hands its arguments to the running app) or sends it as
 * an `open-url` event (macOS). The main process keeps the latest one until the renderer asks for
 * it; the renderer decodes and checks it (invite-code.ts), so here it is only bounded.
 */
export const PROTOCOL = 'diffstream'
/** Longest link kept: a real invite link is well under 1 KiB (the renderer accepts up to 8 KiB). */
export const MAX_LINK_CHARS = 8192

/** The first `diffstream://` link among command-line arguments, or null. */
export function linkFromArgv(argv: readonly string[]): string | null {
  for (const arg of argv) {
    const link = deepLink(arg)
    if (link) return link
  }
  return null
}

/** `text` when it is a `diffstream://` link of a sane length, else null. */
export function deepLink(text: unknown): string | null {
  if (typeof text !== 'string' || text.length > MAX_LINK_CHARS) return null
  return text.toLowerCase().startsWith(`${PROTOCOL}://`) ? text : null
}

/** The link that arrived last and has not been handed to the renderer yet. */
export class PendingLink {
  private link: string | null = null

  offer(text: unknown): boolean {
    const link = deepLink(text)
    if (link) this.link = link
    return link !== null
  }

  /** The link, once: a second call returns null until another arrives. */
  take(): string | null {
    const link = this.link
    this.link = null
    return link
  }
}
