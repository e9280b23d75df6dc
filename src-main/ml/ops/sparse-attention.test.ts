import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { initBackend, type BackendName } from '../backend'
import { mulberry32 } from '../random'
import { gradsOf, maxAbsDiff, randomTensor } from '../../test-support/tensors'
import { maskFromGroups, maskFromRows, maskStats, randomPathwayMask, type AttentionMask } from './attention-mask'
import { csrAttentionForward, csrAttentionSharedBase, denseMaskedAttention, sparseAttention, type AttentionDropout } from './sparse-attention'
import { blockDiagonal } from '../models/biodsnn'

function compare(mask: AttentionMask, dim: number, heads: number, seed: number, dropout?: AttentionDropout): number[] {
  const q = randomTensor([mask.size, dim], seed)
  const k = randomTensor([mask.size, dim], seed + 1)
  const v = randomTensor([mask.size, dim], seed + 2)
  const sparse = gradsOf((a, b, c) => sparseAttention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, mask, heads, dropout), [q, k, v], seed + 3)
  const dense = gradsOf((a, b, c) => denseMaskedAttention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, mask, heads, dropout), [q, k, v], seed + 3)
  tf.dispose([q, k, v])
  expect(dense.value.every(Number.isFinite)).toBe(true)
  const diffs = [maxAbsDiff(sparse.value, dense.value), ...sparse.grads.map((g, i) => maxAbsDiff(g, dense.grads[i]))]
  return diffs
}

describe.each(['cpu', 'wasm'] as BackendName[])('sparse attention on %s', (backend) => {
  it('equals dense masked attention (≤ 1e-5) in value and in the gradients w.r.t. Q, K and V on a skewed mask', async () => {
    await initBackend({ prefer: backend })
    const mask = randomPathwayMask(240, 6000, mulberry32(3), { medianPathway: 6, maxPathway: 80 })
    const stats = maskStats(mask)
    // Skewed like Reactome, with genes that may attend only to themselves.
    expect(stats.selfOnlyRows).toBeGreaterThan(10)
    expect(stats.maxDegree).toBeGreaterThan(4 * stats.medianDegree)
    for (const d of compare(mask, 16, 2, 11)) expect(d).toBeLessThanOrEqual(1e-5)
  })

  it('matches at the model width (64 columns, 2 heads) and with one head', () => {
    const mask = randomPathwayMask(90, 1500, mulberry32(5), { medianPathway: 5, maxPathway: 40 })
    for (const d of compare(mask, 64, 2, 21)) expect(d).toBeLessThanOrEqual(1e-5)
    for (const d of compare(mask, 8, 1, 31)) expect(d).toBeLessThanOrEqual(1e-5)
  })

  it('matches with dropout on the attention weights (same seeded pattern) and the pattern changes the output', () => {
    const mask = randomPathwayMask(120, 2500, mulberry32(8), { medianPathway: 6, maxPathway: 50 })
    for (const d of compare(mask, 16, 2, 51, { rate: 0.1, seed: 4 })) expect(d).toBeLessThanOrEqual(1e-5)
    const q = randomTensor([120, 16], 1)
    const a = sparseAttention(q as tf.Tensor2D, q as tf.Tensor2D, q as tf.Tensor2D, mask, 2, { rate: 0.1, seed: 4 })
    const b = sparseAttention(q as tf.Tensor2D, q as tf.Tensor2D, q as tf.Tensor2D, mask, 2)
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeGreaterThan(1e-3)
    tf.dispose([q, a, b])
  })
})

describe('sparse attention edge cases', () => {
  it('passes V through for a gene that may attend only to itself, with no gradient to its query', async () => {
    await initBackend({ prefer: 'cpu' })
    const mask = maskFromGroups(5, [[1, 2, 3]], { from: [4], to: [1] })
    expect(maskStats(mask)).toMatchObject({ nnz: 1 + 9 + 1 + 2, selfOnlyRows: 1 })
    const q = randomTensor([5, 4], 1)
    const k = randomTensor([5, 4], 2)
    const v = randomTensor([5, 4], 3)
    const { value, grads } = gradsOf((a, b, c) => sparseAttention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, mask, 2), [q, k, v])
    expect(Array.from(value.slice(0, 4))).toEqual(Array.from(v.dataSync().slice(0, 4)))
    expect(Array.from(grads[0].slice(0, 4))).toEqual([0, 0, 0, 0])
    for (const d of compare(mask, 4, 2, 41)) expect(d).toBeLessThanOrEqual(1e-5)
  })

  it('rejects a mask row without itself, a wrong shape and a head count that does not divide the width', () => {
    const x = tf.zeros([3, 4]) as tf.Tensor2D
    const noSelf: AttentionMask = { size: 3, rowPtr: Int32Array.from([0, 1, 2, 3]), colIdx: Int32Array.from([0, 2, 2]) }
    expect(() => sparseAttention(x, x, x, noSelf, 2)).toThrow(/row 1 does not include itself/)
    const mask = maskFromRows([[1], [], [0]])
    expect(() => sparseAttention(x, x, x, mask, 3)).toThrow(/cannot be split into 3 heads/)
    expect(() => sparseAttention(x, x, tf.zeros([2, 4]) as tf.Tensor2D, mask, 2)).toThrow(/v must have shape \[3, 4\]/)
    expect(() => maskFromRows([[0, 5]])).toThrow(/gene index 5/)
  })
})

describe('masked attention for conditions that share a base (inference)', () => {
  // Reference: the plain op on the stacked rows base_i + shift_b, block-diagonal mask, with a key
  // shift too (the shared-base op must not depend on it: it cancels in the softmax).
  function stackedReference(q0: Float32Array, k0: Float32Array, v0: Float32Array, qs: Float32Array, ks: Float32Array, vs: Float32Array, mask: AttentionMask, B: number, dim: number, heads: number): Float32Array {
    const G = mask.size
    const stack = (base: Float32Array, shift: Float32Array) => Float32Array.from({ length: B * G * dim }, (_, n) => base[n % (G * dim)] + shift[Math.floor(n / (G * dim)) * dim + (n % dim)])
    return csrAttentionForward(stack(q0, qs), stack(k0, ks), stack(v0, vs), blockDiagonal(mask, B), heads, dim).out
  }
  const random = (n: number, seed: number, scale = 1) => {
    const r = mulberry32(seed)
    return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale)
  }

  it('equals attention on the stacked rows (≤ 1e-5) on a skewed mask, 2 heads and 1', () => {
    const mask = randomPathwayMask(150, 3000, mulberry32(9), { medianPathway: 6, maxPathway: 60 })
    for (const [dim, heads] of [[16, 2], [8, 1]]) {
      const B = 3
      const [q0, k0, v0] = [1, 2, 3].map((s) => random(150 * dim, s))
      const [qs, ks, vs] = [4, 5, 6].map((s) => random(B * dim, s))
      const ours = csrAttentionSharedBase(q0, k0, v0, qs, vs, mask, heads, dim)
      expect(maxAbsDiff(ours, stackedReference(q0, k0, v0, qs, ks, vs, mask, B, dim, heads))).toBeLessThanOrEqual(1e-5)
    }
  })

  it('computes only the query rows asked for, in their order, with the same numbers', () => {
    const mask = randomPathwayMask(150, 3000, mulberry32(9), { medianPathway: 6, maxPathway: 60 })
    const dim = 16
    const B = 3
    const [q0, k0, v0] = [1, 2, 3].map((s) => random(150 * dim, s))
    const [qs, vs] = [4, 6].map((s) => random(B * dim, s))
    const all = csrAttentionSharedBase(q0, k0, v0, qs, vs, mask, 2, dim)
    const rows = Int32Array.from([149, 3, 77, 0])
    const some = csrAttentionSharedBase(q0, k0, v0, qs, vs, mask, 2, dim, rows)
    expect(some).toHaveLength(B * rows.length * dim)
    for (let b = 0; b < B; b++) {
      rows.forEach((i, r) => expect(Array.from(some.subarray((b * rows.length + r) * dim, (b * rows.length + r + 1) * dim))).toEqual(Array.from(all.subarray((b * 150 + i) * dim, (b * 150 + i + 1) * dim))))
    }
  })

  it('stays exact when the shifts spread the scores beyond what exp can hold (rows recomputed directly)', () => {
    const mask = randomPathwayMask(60, 900, mulberry32(4), { medianPathway: 5, maxPathway: 30 })
    const dim = 8
    const B = 2
    const [q0, k0, v0] = [1, 2, 3].map((s) => random(60 * dim, s, 30))
    const [qs, ks, vs] = [4, 5, 6].map((s) => random(B * dim, s, 300))
    const ours = csrAttentionSharedBase(q0, k0, v0, qs, vs, mask, 2, dim)
    expect(ours.every(Number.isFinite)).toBe(true)
    const ref = stackedReference(q0, k0, v0, qs, ks, vs, mask, B, dim, 2)
    // relative to the values' scale (v up to 300 + 30)
    expect(maxAbsDiff(ours, ref)).toBeLessThanOrEqual(1e-5 * 330)
  })
})
