import type { Chart } from './charts.js'

/** Options every suite gets from `bench/run.ts`. */
export interface SuiteOptions {
  /** A short smoke run (`--quick`): fewer updates and repetitions. */
  quick: boolean
  /** Seed of the workload generators. */
  seed: number
  /** Run everything in the main thread instead of isolating parts in worker threads (for profiling). */
  inline: boolean
}

/** A goal check: computed, printed, never asserted. */
export interface Check {
  goal: string
  pass: boolean
  detail: string
}

/** What a suite hands back: a Markdown report, raw numbers (JSON-serialisable) and goal checks. */
export interface SuiteResult {
  markdown: string
  data: Record<string, unknown>
  checks: Check[]
  /** A few lines of Markdown (the headline table) for `bench/results/latest.md`; without it, a link to the report. */
  summary?: string
  /** One chart per figure, written to `bench/results/charts/` and linked from the reports. */
  charts?: Chart[]
}

/** One benchmark suite; `bench/run.ts` keeps a list of them. */
export interface Suite {
  /** Also the name of its result files: `bench/results/<name>.json` and `.md`. */
  readonly name: string
  readonly description: string
  run(options: SuiteOptions): Promise<SuiteResult>
}
