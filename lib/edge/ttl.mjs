// Token lifetimes as the native core reads them (crates/anycable-core/src/token/ttl.rs): whole
// seconds from a number, or a span such as "30s", "15 min", "1h", "2 days", "1w", "1y".

import { rustDebug, rustFloat } from './rust-format.mjs'
import { wellFormed } from './text.mjs'

const MINUTE = 60
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const WEEK = 7 * DAY
const YEAR = 365.25 * DAY

/** A ttl beyond this (about 31 years) is surely a timestamp passed where a duration was meant. */
export const LONGEST_TTL = 1e9

const UNITS = new Map([
  ...['s', 'sec', 'secs', 'second', 'seconds'].map(unit => [unit, 1]),
  ...['m', 'min', 'mins', 'minute', 'minutes'].map(unit => [unit, MINUTE]),
  ...['h', 'hr', 'hrs', 'hour', 'hours'].map(unit => [unit, HOUR]),
  ...['d', 'day', 'days'].map(unit => [unit, DAY]),
  ...['w', 'week', 'weeks'].map(unit => [unit, WEEK]),
  ...['y', 'yr', 'yrs', 'year', 'years'].map(unit => [unit, YEAR]),
])

function fromSeconds(seconds) {
  if (!Number.isFinite(seconds) || seconds < 1) {
    throw new TypeError(`ttl must be a positive number of seconds, got ${rustFloat(seconds)}`)
  }
  if (seconds > LONGEST_TTL) {
    throw new TypeError(`ttl of ${rustFloat(seconds)} seconds is over 31 years; pass a duration, not a timestamp`)
  }
  return Math.floor(seconds)
}

// Rust's str::trim: Unicode White_Space, which JS's trim also removes (plus U+FEFF, which Rust keeps).
const RUST_WHITESPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g

function parseSpan(span) {
  const invalid = () => new TypeError(`ttl ${rustDebug(wellFormed(span))} is not a duration such as "30s", "15m", "1h" or "2 days"`)
  const text = span.replace(RUST_WHITESPACE, '')
  const match = /^([0-9.]*)(.*)$/s.exec(text)
  const [, number, rest] = match
  if (rest === '') throw invalid()
  const unit = (rest.startsWith(' ') ? rest.slice(1) : rest).replace(/[A-Z]/g, letter => letter.toLowerCase())
  if (number === '' || number.startsWith('.') || number.endsWith('.') || number.split('.').length > 2) throw invalid()
  const scale = UNITS.get(unit)
  if (scale === undefined) throw invalid()
  return fromSeconds(Math.round(Number(number) * scale))
}

/** Whole seconds of `ttl` (a number of seconds or a span); TypeError for anything else. */
export function ttlSeconds(ttl) {
  if (typeof ttl === 'number') return fromSeconds(ttl)
  if (typeof ttl === 'string') return parseSpan(ttl)
  throw new TypeError('ttl must be a number of seconds or a span such as "1h"')
}
