// The members of a JSON object as written, for the rules JSON.parse does not apply but the
// native core's readers do: a claim given twice is malformed, and a decoded string (a key, or a
// value that is read) must not hold an unpaired surrogate escape.

import { parseJson } from './text.mjs'

// String literals whole, punctuation, and the runs of any other literal (numbers, true…).
const TOKENS = /"(?:[^"\\]|\\.)*"|[{}[\],:]|[^\s{}[\],:"]+/g

/**
 * The members of the JSON object `text`, each `{ key, raw, nesting }`: the decoded key; the
 * literal text of a scalar value, or `null` for an object or array value; and how many brackets
 * deep that value goes (0 for a scalar). `null` when `text` is not one JSON object.
 */
export function objectMembers(text) {
  const value = parseJson(text)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null
  const members = []
  let depth = 0
  let expectKey = false
  let member = null
  for (const [token] of text.matchAll(TOKENS)) {
    if (token === '{' || token === '[') {
      depth++
      if (depth === 1) {
        expectKey = true
      } else {
        if (depth === 2) member.raw = null
        member.nesting = Math.max(member.nesting, depth - 1)
      }
    } else if (token === '}' || token === ']') {
      depth--
    } else if (token === ',') {
      if (depth === 1) expectKey = true
    } else if (token !== ':' && depth === 1) {
      if (expectKey) {
        member = { key: JSON.parse(token), raw: undefined, nesting: 0 }
        members.push(member)
        expectKey = false
      } else {
        member.raw = token
      }
    }
  }
  return members
}
