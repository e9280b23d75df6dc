import { describe, expect, it } from 'vitest'
import { floorAtZero, meanExpression } from './mean-expression'

describe('mean expression', () => {
  it('adds the base to every row of Δ and floors the sum at 0, in place', () => {
    const base = [0.01, 1.2, 0]
    const delta = Float32Array.from([-0.08, 0.3, 0.5, 0.02, -1.5, -0.1])
    const out = meanExpression(base, delta)
    expect(out).toBe(delta)
    expect(Array.from(out)).toEqual([0, Math.fround(1.5), Math.fround(0.5), Math.fround(0.03), 0, 0])
  })

  it('floors values at 0 and leaves the rest alone', () => {
    expect(Array.from(floorAtZero(Float32Array.from([-0.5, 0, 2])))).toEqual([0, 0, 2])
  })
})
