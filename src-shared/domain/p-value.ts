/**
 * A p-value as the screens and figures print it: `digits` significant digits, exponent form below
 * 1e-3, "< 1e-300" for an underflowed 0 (float64's floor for these tests), "–" where there is none.
 */
export function formatPValue(p: number | null, digits = 2): string {
  if (p === null || Number.isNaN(p)) return '–'
  if (p === 0) return '< 1e-300'
  return p < 1e-3 ? p.toExponential(digits - 1) : p.toPrecision(digits)
}
