import { fmt } from '../report.js'
import type { OtherLoad } from './load.js'

/** A run during which other processes used more than this share of the machine is measured again (within the budget). */
export const CONTENDED = 0.15

/**
 * Other processes share the 2 cores (this machine also runs other jobs): before a run, wait (up to
 * 3 s) for a 250 ms window in which they used less than {@link CONTENDED} of the machine; after it,
 * measure again if they were busy during the run. Both within one time budget for the suite.
 */
export class Retrier {
  private spentMs = 0
  retries = 0
  waitedMs = 0
  readonly discarded: Array<{ what: string; otherLoad: number }> = []

  constructor(
    private readonly budgetMs: number,
    readonly load: OtherLoad,
  ) {}

  private get left(): boolean {
    return this.spentMs < this.budgetMs
  }

  /** When the last measured run ended with other processes quiet (no need to look again right away). */
  private quietAt = -Infinity

  private async quiet(): Promise<void> {
    if (performance.now() - this.quietAt < 1000) return
    const t0 = performance.now()
    while (this.left && performance.now() - t0 < 3000) {
      const a = this.load.sample()
      await new Promise((r) => setTimeout(r, 250))
      const other = this.load.between(a, this.load.sample())
      if (other === null || other <= CONTENDED) break
    }
    const waited = performance.now() - t0 - 250
    if (waited > 0) {
      this.spentMs += waited
      this.waitedMs += waited
    }
  }

  async run<T extends { otherLoad: number | null }>(what: string, measure: () => Promise<T>): Promise<T> {
    await this.quiet()
    let result = await measure()
    while (result.otherLoad !== null && result.otherLoad > CONTENDED && this.left) {
      const t0 = performance.now()
      this.discarded.push({ what, otherLoad: result.otherLoad })
      console.error(
        `  ${what}: other processes used ${fmt(100 * result.otherLoad, 0)}% of the machine; measuring again`,
      )
      this.quietAt = -Infinity
      await this.quiet()
      result = await measure()
      this.retries++
      this.spentMs += performance.now() - t0
    }
    if (result.otherLoad === null || result.otherLoad <= CONTENDED) this.quietAt = performance.now()
    return result
  }
}
