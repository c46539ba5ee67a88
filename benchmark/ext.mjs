// bench:ext: the extended protocol's rows of bench:server alone (benchmark/extended-rows.mjs).
import { extendedRows } from './extended-rows.mjs'
import { LARGE, MESSAGES, SMALL, machine, stopAll } from './server-harness.mjs'

try {
  console.log(`${machine()}; ${MESSAGES} broadcasts of ~200 bytes, 200 ms apart`)
  await extendedRows({ large: LARGE, small: SMALL, messages: MESSAGES })
} finally {
  stopAll()
}
