// Numbers in messages as the native core's Rust writes them, so both builds word errors alike.

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
