import { describe, expect, it } from 'vitest'
import { AliasTable, logFactorial, Rng } from './random'

function moments(draw: () => number, n = 100_000): { mean: number; variance: number } {
  let s = 0
  let s2 = 0
  for (let i = 0; i < n; i++) {
    const x = draw()
    s += x
    s2 += x * x
  }
  const mean = s / n
  return { mean, variance: s2 / n - mean * mean }
}

describe('Rng', () => {
  it('gives the same stream for the same seed and label, another for another label or seed', () => {
    const take = (r: Rng) => Array.from({ length: 50 }, () => r.nextUint32())
    expect(take(new Rng(7, 'cells'))).toEqual(take(new Rng(7, 'cells')))
    expect(take(new Rng(7, 'cells'))).not.toEqual(take(new Rng(7, 'genes')))
    expect(take(new Rng(7, 'cells'))).not.toEqual(take(new Rng(8, 'cells')))
    // seeds above 2^32 are distinct too
    expect(take(new Rng(2 ** 40))).not.toEqual(take(new Rng(0)))
  })

  it('draws uniforms in [0, 1) with the right mean and variance', () => {
    const r = new Rng(1)
    const m = moments(() => r.uniform())
    expect(m.mean).toBeCloseTo(0.5, 2)
    expect(m.variance).toBeCloseTo(1 / 12, 2)
    for (let i = 0; i < 10_000; i++) {
      const u = r.uniform32()
      expect(u > 0 && u < 1).toBe(true)
    }
  })

  it('samples normal, gamma, Poisson, negative binomial and log-series laws with their moments', () => {
    const r = new Rng(2)
    const normal = moments(() => r.normal(3, 2))
    expect(normal.mean).toBeCloseTo(3, 1)
    expect(normal.variance).toBeCloseTo(4, 0)
    for (const [shape, scale] of [
      [0.5, 2],
      [4, 0.25],
    ]) {
      const g = moments(() => r.gamma(shape, scale))
      expect(g.mean / (shape * scale)).toBeCloseTo(1, 1)
      expect(g.variance / (shape * scale * scale)).toBeCloseTo(1, 1)
    }
    for (const lambda of [0.3, 4, 60, 3000]) {
      const p = moments(() => r.poisson(lambda))
      expect(p.mean / lambda).toBeCloseTo(1, 1)
      expect(p.variance / lambda).toBeCloseTo(1, 1)
    }
    const nb = moments(() => r.negativeBinomial(5, 0.4))
    expect(nb.mean).toBeCloseTo(5, 1)
    expect(nb.variance / (5 + 0.4 * 25)).toBeCloseTo(1, 1)
    for (const p of [0.1, 0.8]) {
      const l = moments(() => r.logarithmic(p))
      expect(l.mean / (-p / ((1 - p) * Math.log(1 - p)))).toBeCloseTo(1, 1)
    }
  })

  it('computes log factorials exactly for small and by Stirling for large arguments', () => {
    expect(logFactorial(0)).toBe(0)
    expect(logFactorial(5)).toBeCloseTo(Math.log(120), 12)
    let exact = 0
    for (let k = 2; k <= 1000; k++) exact += Math.log(k)
    expect(logFactorial(1000)).toBeCloseTo(exact, 8)
  })

  it('shuffles and samples without replacement', () => {
    const r = new Rng(3)
    const items = Array.from({ length: 20 }, (_, i) => i)
    expect([...r.shuffle(items.slice())].sort((a, b) => a - b)).toEqual(items)
    const s = r.sample(items, 8)
    expect(new Set(s).size).toBe(8)
    expect(r.sample(items, 50)).toHaveLength(20)
  })
})

describe('AliasTable', () => {
  it('draws indices in proportion to the weights, never a zero-weight one', () => {
    const weights = [5, 0, 1, 3, 1]
    const table = new AliasTable(weights)
    const r = new Rng(4)
    const counts = new Array(weights.length).fill(0)
    const n = 200_000
    for (let i = 0; i < n; i++) counts[table.draw(r)]++
    expect(counts[1]).toBe(0)
    weights.forEach((w, i) => expect(counts[i] / n).toBeCloseTo(w / 10, 2))
  })
})
