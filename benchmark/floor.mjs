// npm run bench:floor: issue 19's fan-out rows alone (benchmark/floor-rows.mjs).
import { floorRows } from './floor-rows.mjs'
import { LARGE, MESSAGES, machine, stopAll } from './server-harness.mjs'

try {
  console.log(machine())
  await floorRows({ large: LARGE, messages: MESSAGES })
} finally {
  stopAll()
}
