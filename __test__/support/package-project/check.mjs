import { identificator, createCableServer } from 'anycable-rs'
import common from './check-common.cjs'

console.log(JSON.stringify(await common.check({ identificator, createCableServer })))
