import { describe, expect, it } from 'vitest'
import { CsrBuilder, expectedNonZeros, sampleConditionCounts } from './counts'
import { Rng } from '../ml/random'

function sample(rate: Float64Array, phi: Float64Array, libs: Float64Array, seed: number) {
  const out = new CsrBuilder(libs.length, rate.length, 0)
  sampleConditionCounts(rate, phi, libs, new Rng(seed, 'counts'), out)
  return out.finish()
}

/** per-gene mean, variance and share of zeros over the rows */
function columnStats(m: ReturnType<typeof sample>) {
  const n = m.nRows
  const s = new Float64Array(m.nCols)
  const s2 = new Float64Array(m.nCols)
  const nz = new Float64Array(m.nCols)
  for (let k = 0; k < m.data.length; k++) {
    const g = m.indices[k]
    s[g] += m.data[k]
    s2[g] += m.data[k] ** 2
    nz[g]++
  }
  return Array.from(s, (v, g) => ({ mean: v / n, variance: s2[g] / n - (v / n) ** 2, zeros: 1 - nz[g] / n }))
}

describe('sampleConditionCounts', () => {
  // genes spanning 0.05 to ~200 expected counts, with low and high dispersion
  const nGenes = 40
  const rate = Float64Array.from({ length: nGenes }, (_, g) => (0.05 * Math.exp(g / 4.8)) / 1000)
  const phi = Float64Array.from({ length: nGenes }, (_, g) => (g % 2 ? 0.05 : 0.6))

  it('gives negative-binomial means, variances and zero shares at a fixed library size', () => {
    const libs = new Float64Array(20_000).fill(1000)
    const stats = columnStats(sample(rate, phi, libs, 1))
    stats.forEach((st, g) => {
      const mu = 1000 * rate[g]
      const variance = mu + phi[g] * mu * mu
      expect(Math.abs(st.mean - mu)).toBeLessThan(4 * Math.sqrt(variance / libs.length) + 1e-3)
      if (mu > 0.3) expect(st.variance / variance).toBeGreaterThan(0.85)
      if (mu > 0.3) expect(st.variance / variance).toBeLessThan(1.15)
      const p0 = Math.pow(1 + mu * phi[g], -1 / phi[g])
      expect(Math.abs(st.zeros - p0)).toBeLessThan(4 * Math.sqrt((p0 * (1 - p0)) / libs.length) + 1e-4)
    })
  })

  it('scales every gene with the library size, whose spread adds to the variance', () => {
    const r = new Rng(9)
    const libs = Float64Array.from({ length: 20_000 }, () => 1000 * Math.exp(0.4 * r.normal()))
    const l1 = libs.reduce((s, v) => s + v, 0) / libs.length
    const l2 = libs.reduce((s, v) => s + v * v, 0) / libs.length
    const stats = columnStats(sample(rate, phi, libs, 2))
    stats.forEach((st, g) => {
      const mean = l1 * rate[g]
      // law of total variance over the libraries
      const variance = mean + (1 + phi[g]) * l2 * rate[g] ** 2 - mean * mean
      expect(Math.abs(st.mean - mean)).toBeLessThan(4 * Math.sqrt(variance / libs.length))
      if (mean > 0.3) expect(Math.abs(st.variance / variance - 1)).toBeLessThan(0.15)
    })
  })

  it('writes sorted whole-number rows in cell order, the same for the same seed', () => {
    const libs = Float64Array.from({ length: 300 }, (_, i) => 500 + ((i * 37) % 1000))
    const a = sample(rate, phi, libs, 3)
    const b = sample(rate, phi, libs, 3)
    expect(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength))).toBe(true)
    expect(a.indices).toEqual(b.indices)
    expect(a.indptr[a.nRows]).toBe(a.data.length)
    for (let r = 0; r < a.nRows; r++) {
      for (let k = a.indptr[r]; k < a.indptr[r + 1]; k++) {
        expect(Number.isInteger(a.data[k]) && a.data[k] > 0).toBe(true)
        if (k > a.indptr[r]) expect(a.indices[k]).toBeGreaterThan(a.indices[k - 1])
      }
    }
    // deeper cells hold more counts: rows follow their own library, not the sorted order
    const total = (r: number) => a.data.subarray(a.indptr[r], a.indptr[r + 1]).reduce((s, v) => s + v, 0)
    const deep = libs.reduce<number[]>((acc, l, i) => (l > 1300 ? [...acc, i] : acc), [])
    const shallow = libs.reduce<number[]>((acc, l, i) => (l < 700 ? [...acc, i] : acc), [])
    const avg = (rows: number[]) => rows.reduce((s, r) => s + total(r), 0) / rows.length
    expect(avg(deep)).toBeGreaterThan(1.5 * avg(shallow))
    expect(sample(rate, phi, libs, 4).data).not.toEqual(a.data)
  })

  it('predicts the number of stored entries', () => {
    const libs = new Float64Array(5000).fill(800)
    const m = sample(rate, phi, libs, 5)
    expect(m.data.length / libs.length / expectedNonZeros(rate, phi, 800)).toBeCloseTo(1, 1)
  })
})
