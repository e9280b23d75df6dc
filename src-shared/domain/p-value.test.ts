import { describe, expect, it } from 'vitest'
import { formatPValue } from './p-value'

describe('formatPValue', () => {
  it('prints significant digits, exponents below 1e-3, an underflowed 0 and a missing value', () => {
    expect(formatPValue(0.04321)).toBe('0.043')
    expect(formatPValue(0.04321, 3)).toBe('0.0432')
    expect(formatPValue(2.5e-7)).toBe('2.5e-7')
    expect(formatPValue(2.56e-7, 3)).toBe('2.56e-7')
    expect(formatPValue(0)).toBe('< 1e-300')
    expect(formatPValue(null)).toBe('–')
    expect(formatPValue(Number.NaN)).toBe('–')
  })
})
