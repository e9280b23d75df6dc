import { describe, expect, it } from 'vitest'
import { csr as toCsr } from '../test-support/csr'
import { coexpressionGraph } from './coexpression'

/** Two-pass Pearson on dense columns; NaN for a constant column. */
function pearson(x: number[], y: number[]): number {
  const n = x.length
  const mx = x.reduce((a, b) => a + b, 0) / n
  const my = y.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my)
    sxx += (x[i] - mx) ** 2
    syy += (y[i] - my) ** 2
  }
  return sxy / Math.sqrt(sxx * syy)
}

function naive(dense: number[][], k: number, threshold: number) {
  const nG = dense[0].length
  const col = (j: number) => dense.map((r) => Math.fround(r[j]))
  const out: { source: number; target: number; weight: number }[] = []
  for (let i = 0; i < nG; i++) {
    const cand = []
    for (let j = 0; j < nG; j++) {
      if (j === i) continue
      const r = Math.abs(pearson(col(i), col(j)))
      if (r > threshold) cand.push({ source: i, target: j, weight: r })
    }
    cand.sort((a, b) => b.weight - a.weight || a.target - b.target)
    out.push(...cand.slice(0, k))
  }
  return out
}

function edges(g: ReturnType<typeof coexpressionGraph>) {
  return Array.from(g.source, (s, e) => ({ source: s, target: g.target[e], weight: g.weight[e] }))
}

/** Sparse log-like data with correlated, anti-correlated and constant genes. */
function matrix(cells: number, genes: number, seed = 7): number[][] {
  let s = seed
  const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647
  return Array.from({ length: cells }, () => {
    const f = rnd()
    return Array.from({ length: genes }, (_, j) => {
      if (j === 0) return 1.5 // constant: correlates with nothing
      if (j % 5 === 1) return rnd() < 0.1 ? 0 : Math.log1p(6 * f + 0.5 * rnd())
      if (j % 5 === 2) return rnd() < 0.1 ? 0 : Math.log1p(6 * (1 - f) + 0.5 * rnd())
      return rnd() < 0.6 ? 0 : Math.log1p(5 * rnd())
    })
  })
}

describe('co-expression graph', () => {
  it('matches a naive Pearson top-k with |r| > threshold, across several Gram blocks', () => {
    const dense = matrix(300, 37)
    const expected = naive(dense, 5, 0.4)
    expect(expected.length).toBeGreaterThan(20)
    // 3 genes per block: 13 blocks, so pairs across blocks are exercised.
    const got = edges(coexpressionGraph(toCsr(dense), { k: 5, threshold: 0.4, blockBytes: 3 * 37 * 8 }))
    expect(got.map((e) => [e.source, e.target])).toEqual(expected.map((e) => [e.source, e.target]))
    got.forEach((e, i) => expect(e.weight).toBeCloseTo(expected[i].weight, 5))
    expect(got.some((e) => e.source === 0 || e.target === 0)).toBe(false)
  })

  it('uses only the given training cells', () => {
    // Rows 200+ (e.g. combination cells) would tie genes 3 and 4 together if they were used.
    const dense = [...matrix(200, 12, 3), ...Array.from({ length: 40 }, () => Array.from({ length: 12 }, (_, j) => (j === 3 || j === 4 ? 40 : 0)))]
    const rows = Array.from({ length: 200 }, (_, i) => i)
    const got = edges(coexpressionGraph(toCsr(dense), { rows, k: 20, threshold: 0.4 }))
    const expected = naive(dense.slice(0, 200), 20, 0.4)
    expect(expected.length).toBeGreaterThan(5)
    expect(got.map((e) => [e.source, e.target])).toEqual(expected.map((e) => [e.source, e.target]))
    expect(got.some((e) => e.source === 3 && e.target === 4)).toBe(false)
    expect(edges(coexpressionGraph(toCsr(dense))).some((e) => e.source === 3 && e.target === 4)).toBe(true)
  })

  it('keeps the model’s defaults: top 20, |r| > 0.4, weight |r|', () => {
    // Genes 0 and 1 identical, gene 2 their negative: |r| = 1 both ways; gene 3 independent noise.
    const dense = [
      [1, 1, 3, 0],
      [2, 2, 2, 1],
      [3, 3, 1, 0],
      [0, 0, 4, 0],
    ]
    const got = edges(coexpressionGraph(toCsr(dense)))
    expect(got.filter((e) => e.source === 0)).toEqual([
      { source: 0, target: 1, weight: 1 },
      { source: 0, target: 2, weight: 1 },
    ])
  })
})
