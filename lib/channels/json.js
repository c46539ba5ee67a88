'use strict'

/**
 * `JSON.parse(text)`, or an Error that says which part of a request was not JSON (instead of a bare
 * SyntaxError about "position 0").
 */
function parseJson(text, what) {
  if (typeof text !== 'string') throw new Error(`${what} must be a JSON string, got ${text === null ? 'null' : typeof text}`)
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new Error(`${what} is not valid JSON (${error.message}): ${text.slice(0, 200)}`)
  }
}

/** `parseJson`, and the value must be a JSON object. */
function parseJsonObject(text, what) {
  const value = parseJson(text, what)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${what} must be a JSON object: ${text.slice(0, 200)}`)
  }
  return value
}

module.exports = { parseJson, parseJsonObject }
