// bench:observability: the observability rows of bench:server alone (benchmark/observability-rows.mjs).
import { observabilityRows } from './observability-rows.mjs'
import { LARGE, MESSAGES, SMALL, machine, stopAll } from './server-harness.mjs'

try {
  console.log(`${machine()}; ${MESSAGES} broadcasts of ~200 bytes, 200 ms apart`)
  await observabilityRows({ large: LARGE, small: SMALL, messages: MESSAGES })
} finally {
  stopAll()
}
