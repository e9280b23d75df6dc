/**
 * Masked multi-head attention whose cost scales with the mask's non-zeros (docs/ml-engine.md §4).
 *
 * For head h with d = D / heads columns: out_i = Σ_{j ∈ mask(i)} softmax_j(q_i·k_j / √d) v_j.
 * One fused op inside tf.customGrad: forward and backward are loops over typed arrays along the CSR
 * rows (perf-notes: ~400 ms/condition at 5,045 genes and 300 k non-zeros for a whole encoder layer,
 * against ~1,900 ms for the best dense variant and 1.5 GB of heap). The loops run the same on every
 * backend; only the three input reads and output uploads touch tensors.
 */
import * as tf from '@tensorflow/tfjs'
import { assertValidMask, denseAdditiveMask, type AttentionMask } from './attention-mask'
import { customOp } from './custom-op'
import { matMul2d } from './linear'
import type { Shard } from '../layers/mode'
import { dropoutFactors } from '../random'

export interface AttentionForward {
  out: Float32Array
  /** Softmax weights, head-major: probs[h * nnz + p] for CSR entry p. */
  probs: Float64Array
}

export interface AttentionGrads {
  dq: Float32Array
  dk: Float32Array
  dv: Float32Array
}

function checkInputs(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: AttentionMask, numHeads: number): { size: number; dim: number } {
  for (const [name, t] of [['q', q], ['k', k], ['v', v]] as const) {
    if (t.rank !== 2 || t.shape[0] !== mask.size || t.shape[1] !== q.shape[1]) {
      throw new Error(`attention: ${name} must have shape [${mask.size}, ${q.shape[1]}], got [${t.shape.join(', ')}]`)
    }
  }
  const dim = q.shape[1] as number
  if (!Number.isInteger(numHeads) || numHeads < 1 || dim % numHeads !== 0) throw new Error(`attention: ${dim} columns cannot be split into ${numHeads} heads`)
  assertValidMask(mask)
  return { size: mask.size, dim }
}

function maxDegree(mask: AttentionMask): number {
  let m = 0
  for (let i = 0; i < mask.size; i++) m = Math.max(m, mask.rowPtr[i + 1] - mask.rowPtr[i])
  return m
}

// The loops below are written for V8: the current query / output-gradient row is copied into a small
// Float64Array, and every length-d inner loop is unrolled by 4 with separate accumulators (measured
// ~3× faster than the plain loop at d = 32). `d4` is d rounded down to a multiple of 4; the tail
// loops handle the rest.

/** row · m[off … off + d − 1], unrolled by 4 (`d4` = d rounded down to a multiple of 4). */
function dotRow(row: Float64Array, m: Float32Array, off: number, d: number, d4: number): number {
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let s3 = 0
  let c = 0
  for (; c < d4; c += 4) {
    s0 += row[c] * m[off + c]
    s1 += row[c + 1] * m[off + c + 1]
    s2 += row[c + 2] * m[off + c + 2]
    s3 += row[c + 3] * m[off + c + 3]
  }
  for (; c < d; c++) s0 += row[c] * m[off + c]
  return s0 + s1 + s2 + s3
}

/**
 * Forward loop. q, k, v are row-major [size, dim]; head h owns columns h·d … (h+1)·d − 1.
 * `drop` (head-major like probs) multiplies the softmax weights: 0 or 1 / (1 − rate) for dropout.
 */
export function csrAttentionForward(q: Float32Array, k: Float32Array, v: Float32Array, mask: AttentionMask, numHeads: number, dim: number, drop: Float32Array | null = null): AttentionForward {
  const { size, rowPtr, colIdx } = mask
  const nnz = colIdx.length
  const d = dim / numHeads
  const d4 = d - (d % 4)
  const scale = 1 / Math.sqrt(d)
  const out = new Float32Array(size * dim)
  const probs = new Float64Array(nnz * numHeads)
  const qr = new Float64Array(d)
  const acc = new Float64Array(d)
  for (let h = 0; h < numHeads; h++) {
    const hp = h * nnz
    const hc = h * d
    for (let i = 0; i < size; i++) {
      const start = rowPtr[i]
      const end = rowPtr[i + 1]
      const qo = i * dim + hc
      for (let c = 0; c < d; c++) qr[c] = q[qo + c] * scale
      // Scores and the row maximum: the max for a stable softmax is plain arithmetic here, outside
      // any tape (perf-notes trap 8: tfjs has no stopGradient).
      let m = -Infinity
      for (let p = start; p < end; p++) {
        const s = dotRow(qr, k, colIdx[p] * dim + hc, d, d4)
        probs[hp + p] = s
        if (s > m) m = s
      }
      let sum = 0
      for (let p = start; p < end; p++) {
        const e = Math.exp(probs[hp + p] - m)
        probs[hp + p] = e
        sum += e
      }
      const inv = 1 / sum
      acc.fill(0)
      for (let p = start; p < end; p++) {
        const pr = probs[hp + p] * inv
        probs[hp + p] = pr
        const w = drop ? pr * drop[hp + p] : pr
        const vo = colIdx[p] * dim + hc
        let c = 0
        for (; c < d4; c += 4) {
          acc[c] += w * v[vo + c]
          acc[c + 1] += w * v[vo + c + 1]
          acc[c + 2] += w * v[vo + c + 2]
          acc[c + 3] += w * v[vo + c + 3]
        }
        for (; c < d; c++) acc[c] += w * v[vo + c]
      }
      for (let c = 0; c < d; c++) out[qo + c] = acc[c]
    }
  }
  return { out, probs }
}

/**
 * Backward loop. With dropout factors f_ij (1 without dropout), dP_ij = f_ij dO_i·v_j and
 * r_i = Σ_j P_ij dP_ij: dS_ij = P_ij (dP_ij − r_i); dQ_i = Σ_j dS_ij k_j / √d;
 * dK_j += dS_ij q_i / √d; dV_j += f_ij P_ij dO_i.
 */
export function csrAttentionBackward(q: Float32Array, k: Float32Array, v: Float32Array, probs: Float64Array, dOut: Float32Array, mask: AttentionMask, numHeads: number, dim: number, drop: Float32Array | null = null): AttentionGrads {
  const { size, rowPtr, colIdx } = mask
  const nnz = colIdx.length
  const d = dim / numHeads
  const d4 = d - (d % 4)
  const scale = 1 / Math.sqrt(d)
  const dq = new Float32Array(size * dim)
  const dk = new Float64Array(size * dim)
  const dv = new Float64Array(size * dim)
  const dp = new Float64Array(maxDegree(mask))
  const gr = new Float64Array(d)
  const qr = new Float64Array(d)
  const accQ = new Float64Array(d)
  for (let h = 0; h < numHeads; h++) {
    const hp = h * nnz
    const hc = h * d
    for (let i = 0; i < size; i++) {
      const start = rowPtr[i]
      const end = rowPtr[i + 1]
      const io = i * dim + hc
      for (let c = 0; c < d; c++) {
        gr[c] = dOut[io + c]
        qr[c] = q[io + c] * scale
      }
      let r = 0
      for (let p = start; p < end; p++) {
        const dot = dotRow(gr, v, colIdx[p] * dim + hc, d, d4)
        const s = drop ? dot * drop[hp + p] : dot
        dp[p - start] = s
        r += probs[hp + p] * s
      }
      accQ.fill(0)
      for (let p = start; p < end; p++) {
        const pr = probs[hp + p]
        const ds = pr * (dp[p - start] - r)
        const w = drop ? pr * drop[hp + p] : pr
        const jo = colIdx[p] * dim + hc
        let c = 0
        for (; c < d4; c += 4) {
          accQ[c] += ds * k[jo + c]
          accQ[c + 1] += ds * k[jo + c + 1]
          accQ[c + 2] += ds * k[jo + c + 2]
          accQ[c + 3] += ds * k[jo + c + 3]
          dk[jo + c] += ds * qr[c]
          dk[jo + c + 1] += ds * qr[c + 1]
          dk[jo + c + 2] += ds * qr[c + 2]
          dk[jo + c + 3] += ds * qr[c + 3]
          dv[jo + c] += w * gr[c]
          dv[jo + c + 1] += w * gr[c + 1]
          dv[jo + c + 2] += w * gr[c + 2]
          dv[jo + c + 3] += w * gr[c + 3]
        }
        for (; c < d; c++) {
          accQ[c] += ds * k[jo + c]
          dk[jo + c] += ds * qr[c]
          dv[jo + c] += w * gr[c]
        }
      }
      for (let c = 0; c < d; c++) dq[io + c] = accQ[c] * scale
    }
  }
  return { dq, dk: Float32Array.from(dk), dv: Float32Array.from(dv) }
}

export interface AttentionDropout {
  rate: number
  seed: number
  /** data-parallel training: the mask holds this worker's conditions (blocks), the pattern is their part of the step's */
  shard?: Pick<Shard, 'start' | 'count' | 'total'>
}

/**
 * Dropout on the attention weights, as PyTorch's MultiheadAttention applies the layer's dropout
 * there: one factor per (head, CSR entry), 0 with probability `rate`, else 1 / (1 − rate).
 */
export function attentionDropoutFactors(mask: AttentionMask, numHeads: number, dropout: AttentionDropout): Float32Array {
  const nnz = mask.colIdx.length
  const shard = dropout.shard
  if (!shard || shard.count === shard.total) return dropoutFactors(nnz * numHeads, dropout.rate, dropout.seed)
  // Head-major over the whole step's block-diagonal mask: each head's entries of this worker's blocks.
  const perBlock = nnz / shard.count
  const fullNnz = perBlock * shard.total
  const full = dropoutFactors(fullNnz * numHeads, dropout.rate, dropout.seed)
  const out = new Float32Array(nnz * numHeads)
  for (let h = 0; h < numHeads; h++) out.set(full.subarray(h * fullNnz + shard.start * perBlock, h * fullNnz + (shard.start + shard.count) * perBlock), h * nnz)
  return out
}

function checkDropout(dropout: AttentionDropout | undefined): boolean {
  if (!dropout || dropout.rate === 0) return false
  if (!(dropout.rate > 0 && dropout.rate < 1)) throw new Error(`attention: dropout rate must be in [0, 1), got ${dropout.rate}`)
  return true
}

/**
 * Sparse masked attention of q, k, v ([genes, dim], already projected) under `mask`, split into
 * `numHeads` heads; returns [genes, dim] with heads concatenated. Gradients flow to q, k and v.
 * `dropout` (training only) drops attention weights with a seeded pattern.
 */
export function sparseAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, mask: AttentionMask, numHeads: number, dropout?: AttentionDropout): tf.Tensor2D {
  const { size, dim } = checkInputs(q, k, v, mask, numHeads)
  const drop = checkDropout(dropout) ? attentionDropoutFactors(mask, numHeads, dropout as AttentionDropout) : null
  const f = customOp<tf.Tensor2D>(([qIn, kIn, vIn]) => {
    const qa = qIn.dataSync() as Float32Array
    const ka = kIn.dataSync() as Float32Array
    const va = vIn.dataSync() as Float32Array
    const { out, probs } = csrAttentionForward(qa, ka, va, mask, numHeads, dim, drop)
    return {
      value: tf.tensor2d(out, [size, dim]),
      // Trap 7 is about tensors: what the backward needs is kept here as JS typed arrays (read
      // once in the forward), which no tidy can dispose and which stay off the 4 GB wasm heap.
      gradFunc: (dy) => {
        const g = csrAttentionBackward(qa, ka, va, probs, dy.dataSync() as Float32Array, mask, numHeads, dim, drop)
        return [tf.tensor2d(g.dq, [size, dim]), tf.tensor2d(g.dk, [size, dim]), tf.tensor2d(g.dv, [size, dim])]
      },
    }
  })
  return f(q, k, v)
}

/**
 * The dense reference: per head a [genes, genes] score matrix plus the additive mask (0 allowed,
 * −∞ elsewhere), softmax, times V; differentiated by tfjs autodiff. G² memory per head: tests and
 * small-G benchmarks only. One plain 2-D matMul per head (trap 3).
 */
export function denseMaskedAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, mask: AttentionMask, numHeads: number, dropout?: AttentionDropout): tf.Tensor2D {
  const { size, dim } = checkInputs(q, k, v, mask, numHeads)
  const d = dim / numHeads
  const drop = checkDropout(dropout) ? attentionDropoutFactors(mask, numHeads, dropout as AttentionDropout) : null
  return tf.tidy(() => {
    const add = tf.tensor2d(denseAdditiveMask(mask), [size, size])
    const heads: tf.Tensor2D[] = []
    for (let h = 0; h < numHeads; h++) {
      const qh = tf.slice(q, [0, h * d], [size, d])
      const kh = tf.slice(k, [0, h * d], [size, d])
      const vh = tf.slice(v, [0, h * d], [size, d])
      const scores = tf.add(tf.mul(matMul2d(qh, tf.transpose(kh)), 1 / Math.sqrt(d)), add) as tf.Tensor2D
      let weights = tf.softmax(scores) as tf.Tensor2D
      if (drop) weights = tf.mul(weights, denseFactors(mask, drop, h)) as tf.Tensor2D
      heads.push(matMul2d(weights, vh))
    }
    return tf.concat(heads, 1)
  })
}

function denseFactors(mask: AttentionMask, drop: Float32Array, head: number): tf.Tensor2D {
  const { size, rowPtr, colIdx } = mask
  const out = new Float32Array(size * size)
  const hp = head * colIdx.length
  for (let i = 0; i < size; i++) for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) out[i * size + colIdx[p]] = drop[hp + p]
  return tf.tensor2d(out, [size, size])
}

/**
 * Inference-only masked attention for B conditions whose inputs share one base: row i of condition b
 * is x_bi = base_i + shift_b (BioDSNN adds the same fused perturbation vector to every gene row).
 * With the projections split the same way (q = q0 + qs_b, k = k0 + ks_b, v = v0 + vs_b):
 *
 *   s_ij = (q0_i + qs_b)·(k0_j + ks_b) = q0_i·k0_j + qs_b·k0_j + [q0_i·ks_b + qs_b·ks_b]
 *
 * and the bracket is constant along the row, so softmax drops it. With E_ij = exp(q0_i·k0_j/√d − m_i)
 * (shared by every condition, computed once) and w_bj = exp(qs_b·k0_j/√d − max_j …) (one per gene):
 *
 *   out_bi = Σ_j E_ij w_bj v0_j / Σ_j E_ij w_bj + vs_b
 *
 * — one sparse × dense product of E with the columns [w_bj·v0_j, w_bj] of all B conditions side by
 * side: no exp and no dot product per mask entry and condition, and the inner loop runs over
 * contiguous memory. A row whose denominator underflows (scores spread by more than ~700) is
 * recomputed directly. Same numbers as `sparseAttention` on the stacked rows (test), no gradient:
 * prediction and validation only.
 *
 * q0, k0, v0: [size, dim] (projections of the base, biases included); qShift, vShift: [B, dim]
 * (projections of the shifts, no bias). Returns [B · size, dim], conditions stacked like the rows;
 * with `rows` (query rows) only those, in that order: [B · rows.length, dim]. A row's output reads
 * every key and value but no other query, so asking for fewer rows only skips work.
 */
export function csrAttentionSharedBase(q0: Float32Array, k0: Float32Array, v0: Float32Array, qShift: Float32Array, vShift: Float32Array, mask: AttentionMask, numHeads: number, dim: number, rows?: Int32Array): Float32Array {
  const { size, rowPtr, colIdx } = mask
  const nnz = colIdx.length
  const B = qShift.length / dim
  const d = dim / numHeads
  const width = B * (d + 1) // per gene: for each condition d weighted values, then the weight
  const scale = 1 / Math.sqrt(d)
  const queries = rows ?? Int32Array.from({ length: size }, (_, i) => i)
  const R = queries.length
  const out = new Float32Array(B * R * dim)
  const e = new Float64Array(nnz)
  const u = new Float64Array(B * size)
  const right = new Float64Array(size * width)
  const acc = new Float64Array(width)
  for (let h = 0; h < numHeads; h++) {
    const hc = h * d
    // E_ij, shared by the conditions
    for (let r = 0; r < R; r++) {
      const i = queries[r]
      const qo = i * dim + hc
      let m = -Infinity
      for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
        const ko = colIdx[p] * dim + hc
        let s = 0
        for (let c = 0; c < d; c++) s += q0[qo + c] * k0[ko + c]
        e[p] = s * scale
        if (e[p] > m) m = e[p]
      }
      for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) e[p] = Math.exp(e[p] - m)
    }
    // u_bj = qs_b·k0_j/√d and the right-hand side [w_bj·v0_j, w_bj]
    for (let b = 0; b < B; b++) {
      const so = b * dim + hc
      let umax = -Infinity
      for (let j = 0; j < size; j++) {
        const ko = j * dim + hc
        let s = 0
        for (let c = 0; c < d; c++) s += qShift[so + c] * k0[ko + c]
        u[b * size + j] = s * scale
        if (u[b * size + j] > umax) umax = u[b * size + j]
      }
      for (let j = 0; j < size; j++) {
        const w = Math.exp(u[b * size + j] - umax)
        const ro = j * width + b * (d + 1)
        const vo = j * dim + hc
        for (let c = 0; c < d; c++) right[ro + c] = w * v0[vo + c]
        right[ro + d] = w
      }
    }
    // out_bi = (E · right)_i, normalised
    for (let r = 0; r < R; r++) {
      const i = queries[r]
      // Four columns at a time over the row's entries: the sums stay in registers.
      const start = rowPtr[i]
      const end = rowPtr[i + 1]
      let c = 0
      for (; c + 4 <= width; c += 4) {
        let a0 = 0
        let a1 = 0
        let a2 = 0
        let a3 = 0
        for (let p = start; p < end; p++) {
          const ep = e[p]
          const ro = colIdx[p] * width + c
          a0 += ep * right[ro]
          a1 += ep * right[ro + 1]
          a2 += ep * right[ro + 2]
          a3 += ep * right[ro + 3]
        }
        acc[c] = a0
        acc[c + 1] = a1
        acc[c + 2] = a2
        acc[c + 3] = a3
      }
      for (; c < width; c++) {
        let a = 0
        for (let p = start; p < end; p++) a += e[p] * right[colIdx[p] * width + c]
        acc[c] = a
      }
      for (let b = 0; b < B; b++) {
        const ao = b * (d + 1)
        const oo = (b * R + r) * dim + hc
        const so = b * dim + hc
        const den = acc[ao + d]
        if (den > 1e-280) {
          const inv = 1 / den
          for (let c = 0; c < d; c++) out[oo + c] = acc[ao + c] * inv + vShift[so + c]
        } else {
          directRow(q0, k0, v0, u, b * size, rowPtr[i], rowPtr[i + 1], colIdx, i, dim, hc, d, scale, out, oo)
          for (let c = 0; c < d; c++) out[oo + c] += vShift[so + c]
        }
      }
    }
  }
  return out
}

/** One row's softmax-weighted sum of v0 from its scores q0_i·k0_j/√d + u_j, computed directly (stable in any range). */
function directRow(q0: Float32Array, k0: Float32Array, v0: Float32Array, u: Float64Array, uo: number, start: number, end: number, colIdx: Int32Array, i: number, dim: number, hc: number, d: number, scale: number, out: Float32Array, oo: number): void {
  const s = new Float64Array(end - start)
  let m = -Infinity
  for (let p = start; p < end; p++) {
    const ko = colIdx[p] * dim + hc
    let dot = 0
    for (let c = 0; c < d; c++) dot += q0[i * dim + hc + c] * k0[ko + c]
    s[p - start] = dot * scale + u[uo + colIdx[p]]
    if (s[p - start] > m) m = s[p - start]
  }
  let sum = 0
  const acc = new Float64Array(d)
  for (let p = start; p < end; p++) {
    const w = Math.exp(s[p - start] - m)
    sum += w
    const vo = colIdx[p] * dim + hc
    for (let c = 0; c < d; c++) acc[c] += w * v0[vo + c]
  }
  for (let c = 0; c < d; c++) out[oo + c] = acc[c] / sum
}

/** `csrAttentionSharedBase` on tensors: q0, k0, v0 [size, dim], qShift, vShift [B, dim] → [B · size, dim] (or [B · rows, dim]). No gradient. */
export function sparseAttentionSharedBase(q0: tf.Tensor2D, k0: tf.Tensor2D, v0: tf.Tensor2D, qShift: tf.Tensor2D, vShift: tf.Tensor2D, mask: AttentionMask, numHeads: number, rows?: Int32Array): tf.Tensor2D {
  const { size, dim } = checkInputs(q0, k0, v0, mask, numHeads)
  if (qShift.shape[1] !== dim || vShift.shape[1] !== dim || qShift.shape[0] !== vShift.shape[0]) throw new Error(`attention: shifts must both have shape [B, ${dim}]`)
  const B = qShift.shape[0]
  const out = csrAttentionSharedBase(q0.dataSync() as Float32Array, k0.dataSync() as Float32Array, v0.dataSync() as Float32Array, qShift.dataSync() as Float32Array, vShift.dataSync() as Float32Array, mask, numHeads, dim, rows)
  return tf.tensor2d(out, [B * (rows?.length ?? size), dim])
}
