// Debian's Chromium driven by playwright-core: found at /usr/bin/chromium (or CHROMIUM_PATH).
// Outside CI a machine without Chromium skips browser tests; in CI a missing Chromium fails them.
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** A reason to skip browser tests, or false when Chromium is there (or when CI must fail without it). */
export function skipWithoutChromium(): string | false {
  if (existsSync(CHROMIUM_PATH)) return false
  if (process.env.CI) return false // CI installs Chromium; a missing one must fail, not skip
  return `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`
}

/** Debian's Chromium, headless, with the flags this machine needs, plus `extraArgs`. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  })
}
