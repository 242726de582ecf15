/**
 * One seeded schedule of the large-room simulator (test/helpers/sim), printed as JSON: the command a
 * failing schedule of test/unit/large-room.test.ts prints to replay it.
 *   node --import tsx scripts/sim-room.ts --n 200 --seed 7 [--relay flood] [--no-churn] [--stream-ms 10000]
 */
import { parseArgs } from 'node:util'
import { NO_CHURN, runScenario, scenarioFor } from '../test/helpers/sim/scenario.js'

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
    relay: { type: 'string', default: 'tree' },
    'no-churn': { type: 'boolean', default: false },
    'stream-ms': { type: 'string' },
  },
})
const relay = values.relay === 'flood' ? 'flood' : 'tree'
const config = scenarioFor(Number(values.n), Number(values.seed), relay)
if (values['no-churn']) config.churn = NO_CHURN
if (values['stream-ms']) config.streamMs = Number(values['stream-ms'])
const { config: used, ...result } = runScenario(config)
console.log(JSON.stringify({ config: used, ...result }, null, 2))
process.exitCode = result.converged ? 0 : 1
