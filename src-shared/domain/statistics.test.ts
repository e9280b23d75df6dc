import { describe, expect, it } from 'vitest'
import { benjaminiHochberg } from './statistics'

describe('benjaminiHochberg', () => {
  it('matches hand values: p·m/rank, made monotone from the largest p down, capped at 1', () => {
    // m = 5; sorted p 0.01 0.02 0.03 0.04 0.5 → 0.05 0.05 0.05 0.05 0.5
    // (statsmodels multipletests(method='fdr_bh') and scipy false_discovery_control give the same)
    const q = benjaminiHochberg([0.04, 0.01, 0.5, 0.03, 0.02])
    expect(Array.from(q)).toEqual([0.05, 0.05, 0.5, 0.05, 0.05].map((v) => expect.closeTo(v, 12)))
    expect(Array.from(benjaminiHochberg([0.01, 0.02, 0.9]))).toEqual([0.03, 0.03, 0.9].map((v) => expect.closeTo(v, 12)))
    expect(Array.from(benjaminiHochberg([0.9, 0.95]))).toEqual([0.95, 0.95].map((v) => expect.closeTo(v, 12)))
  })

  it('never goes above 1 and leaves NaN out of the count', () => {
    const q = benjaminiHochberg([1, 1, NaN, 0.001])
    expect(q[0]).toBe(1)
    expect(q[2]).toBeNaN()
    expect(q[3]).toBeCloseTo(0.003, 12)
    expect(benjaminiHochberg([])).toHaveLength(0)
  })
})
