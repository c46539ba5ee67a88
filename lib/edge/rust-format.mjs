// Numbers and strings in messages as the native core's Rust writes them, so both builds word errors alike.

/** An f64 as Rust's `Display` writes it (messages must match the native build's): no exponent. */
export function rustFloat(value) {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return 'inf'
  if (value === -Infinity) return '-inf'
  if (Object.is(value, -0)) return '-0'
  const text = String(value)
  const scientific = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text)
  if (scientific === null) return text
  const [, sign, lead, fraction = '', exponentText] = scientific
  const digits = lead + fraction
  const exponent = Number(exponentText)
  if (exponent > 0) return sign + digits.padEnd(exponent + 1, '0')
  return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`
}

const DEBUG_ESCAPES = { '\t': '\\t', '\r': '\\r', '\n': '\\n', '\\': '\\\\', '"': '\\"', '\0': '\\0' }
// Rust escapes what it deems unprintable (controls, format and private-use characters, separators
// other than the space, unassigned code points) and grapheme extenders (combining marks).
const UNPRINTABLE = /[\p{C}\p{Z}\p{Mn}\p{Me}]/u

/** A string as Rust's `{:?}` writes it: quoted, with escapes in Rust's `\u{…}` form. */
export function rustDebug(text) {
  let written = '"'
  for (const char of text) {
    if (Object.hasOwn(DEBUG_ESCAPES, char)) written += DEBUG_ESCAPES[char]
    else if (char !== ' ' && UNPRINTABLE.test(char)) written += `\\u{${char.codePointAt(0).toString(16)}}`
    else written += char
  }
  return `${written}"`
}
