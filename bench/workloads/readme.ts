import type { JsonValue } from '@diffstream/core'
import type { BenchRecord } from '../contender.js'
import { Prng } from './prng.js'
import type { Workload } from './workload.js'

interface ReadmeDict extends BenchRecord {
  key: number
  a: string
  b: number
  c: { [field: string]: JsonValue }
  d: number[]
}

/** The original README's dict. */
export function readmeDict(): ReadmeDict {
  return {
    key: 314159,
    a: 'Some really, really important text',
    b: 42,
    c: { c1: true, c2: false },
    d: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  }
}

/** The README's two messages: the dict (`new`), then the same dict after `c.c3 = 'Maybe'` (`upd`). */
export function readmeExample(): [BenchRecord, BenchRecord] {
  const first = readmeDict()
  const second: ReadmeDict = { ...first, c: { ...first.c, c3: 'Maybe' } }
  return [first, second]
}

/** The original README reports 115 bytes for its second message (Python `json.dumps` of a JSON Patch plus md5). */
export const ORIGINAL_MSG2_BYTES = 115

const WORDS = ['Maybe', 'Yes', 'No', 'Perhaps', 'Certainly'] as const

/**
 * The README dict (with `c.c3`) created once, then `edits` small edits, each one change picked at
 * random: `b += 1..10`, flip `c.c1` or `c.c2`, set `c.c3` to another word, set one element of `d`
 * to another value, or append to / remove the last element of `d` (its length stays in 8..12).
 */
export function readmeEdits(edits: number, seed: number): Workload {
  const rng = new Prng(seed)
  let cur: ReadmeDict = readmeExample()[1] as ReadmeDict
  const initial = [cur]
  const updates: BenchRecord[] = []
  for (let i = 0; i < edits; i++) {
    const next: ReadmeDict = { ...cur }
    switch (rng.int(0, 4)) {
      case 0:
        next.b = cur.b + rng.int(1, 10)
        break
      case 1: {
        const f = rng.pick(['c1', 'c2'])
        next.c = { ...cur.c, [f]: cur.c[f] !== true }
        break
      }
      case 2: {
        const others = WORDS.filter((w) => w !== cur.c['c3'])
        next.c = { ...cur.c, c3: rng.pick(others) }
        break
      }
      case 3: {
        const at = rng.int(0, cur.d.length - 1)
        const d = cur.d.slice()
        d[at] = ((cur.d[at] ?? 0) + rng.int(1, 99)) % 100
        next.d = d
        break
      }
      default: {
        const grow = cur.d.length <= 8 || (cur.d.length < 12 && rng.next() < 0.5)
        next.d = grow ? [...cur.d, rng.int(0, 99)] : cur.d.slice(0, -1)
      }
    }
    updates.push(next)
    cur = next
  }
  return {
    name: 'readme-edits',
    description: `README dict, ${edits} small edits (b += n, flip c.c1/c.c2, set c.c3, set d[i], push/pop d)`,
    initial,
    updates,
  }
}
