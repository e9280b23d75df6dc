/**
 * Multi-head attention over every gene (BioDSNN's "attention without mask" ablation), for `blocks`
 * conditions stacked as [blocks·G, D]: each condition's genes attend to all of its own genes.
 *
 * The cost is G² per head per condition and cannot be made sparse. What can be bounded is memory:
 * the forward keeps nothing but q, k, v and the backward recomputes each head's G × G weights
 * (one block and head at a time, ~5 G² floats live: 0.5 GB at G = 5,045), instead of tfjs
 * autodiff holding every head's scores, softmax and dropout for every condition of the batch
 * (perf-notes: 8 conditions at once exceed the 4 GB heap). All products are plain 2-D matMuls with
 * the narrow operand transposed (trap 3).
 */
import * as tf from '@tensorflow/tfjs'
import { dropoutFactors } from '../random'
import type { AttentionMask } from './attention-mask'
import { customOp } from './custom-op'
import { matMulTransposeA } from './linear'
import type { AttentionDropout } from './sparse-attention'

export function fullAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, blocks: number, numHeads: number, dropout?: AttentionDropout): tf.Tensor2D {
  const [rows] = q.shape
  if (rows % blocks !== 0) throw new Error(`full attention: ${rows} rows do not split into ${blocks} blocks`)
  const G = rows / blocks
  const rate = dropout && dropout.rate > 0 ? dropout.rate : 0
  const factors = rate > 0 ? (b: number, h: number) => tf.tensor2d(dropoutFactors(G * G, rate, (dropout!.seed + Math.imul(b + (dropout!.shard?.start ?? 0), 7919) + h * 104729) >>> 0), [G, G]) : null
  return blockAttention(q, k, v, blocks, numHeads, null, factors)
}

/** Off-mask scores: far enough below any real score that exp underflows to exactly 0, finite so no ∞ − ∞ arises. */
const MASKED_SCORE = -1e9

let maskCache: { mask: AttentionMask; backend: string; bias: tf.Tensor2D; flat: tf.Tensor2D } | null = null

/** The mask as an additive [G, G] bias (0 allowed, −1e9 elsewhere) and its entries' flat positions [nnz, 1]; the last mask's are kept (one [G, G] tensor, freed when another mask comes). */
function maskTensors(mask: AttentionMask): { bias: tf.Tensor2D; flat: tf.Tensor2D } {
  if (maskCache?.mask === mask && maskCache.backend === tf.getBackend()) return maskCache
  if (maskCache) tf.dispose([maskCache.bias, maskCache.flat])
  const { size, rowPtr, colIdx } = mask
  const bias = new Float32Array(size * size).fill(MASKED_SCORE)
  const flat = new Int32Array(colIdx.length)
  for (let i = 0; i < size; i++) {
    for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
      bias[i * size + colIdx[p]] = 0
      flat[p] = i * size + colIdx[p]
    }
  }
  // Kept: built inside the model's tidy, reused by every later step.
  maskCache = { mask, backend: tf.getBackend(), bias: tf.keep(tf.tensor2d(bias, [size, size])), flat: tf.keep(tf.tensor2d(flat, [flat.length, 1], 'int32')) }
  return maskCache
}

/**
 * The masked attention of ops/sparse-attention for `blocks` conditions stacked as [blocks·G, D],
 * each under the same one-condition `mask` (the block-diagonal mask of `blocks` copies), computed
 * densely per condition and head: scores [G, G] plus the mask as an additive bias, softmax, times
 * V. What the GPU backends run (tfjs ops only, no reads; G² per head is cheap there, and the
 * backward recomputes each head's weights as fullAttention does). Dropout draws the same factors,
 * in the same order, as `sparseAttention` on the block-diagonal mask (head-major over its entries),
 * so a seeded step drops the same weights on either path.
 */
export function blockMaskedAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, mask: AttentionMask, blocks: number, numHeads: number, dropout?: AttentionDropout): tf.Tensor2D {
  const [rows] = q.shape
  if (rows !== mask.size * blocks) throw new Error(`masked attention: ${rows} rows are not ${blocks} blocks of the mask's ${mask.size}`)
  const { bias, flat } = maskTensors(mask)
  const G = mask.size
  const nnz = mask.colIdx.length
  const rate = dropout && dropout.rate > 0 ? dropout.rate : 0
  const drop = rate > 0 ? dropoutFactors(nnz * blocks * numHeads, rate, dropout!.seed) : null
  const factors = drop ? (b: number, h: number) => tf.tidy(() => tf.reshape(tf.scatterND(flat, tf.tensor1d(drop.subarray((h * blocks + b) * nnz, (h * blocks + b + 1) * nnz)), [G * G]), [G, G]) as tf.Tensor2D) : null
  return blockAttention(q, k, v, blocks, numHeads, bias, factors)
}

function blockAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, blocks: number, numHeads: number, bias: tf.Tensor2D | null, factors: ((b: number, h: number) => tf.Tensor2D) | null): tf.Tensor2D {
  const [rows, dim] = q.shape
  if (rows % blocks !== 0) throw new Error(`attention: ${rows} rows do not split into ${blocks} blocks`)
  if (dim % numHeads !== 0) throw new Error(`attention: ${dim} columns cannot be split into ${numHeads} heads`)
  const G = rows / blocks
  const d = dim / numHeads
  const scale = 1 / Math.sqrt(d)
  const part = (t: tf.Tensor2D, b: number, h: number) => tf.slice(t, [b * G, h * d], [G, d]) as tf.Tensor2D
  const weights = (qh: tf.Tensor2D, kh: tf.Tensor2D) => {
    const s = tf.mul(tf.matMul(qh, tf.transpose(kh)), scale)
    return tf.softmax(bias ? tf.add(s, bias) : s) as tf.Tensor2D
  }
  const f = customOp<tf.Tensor2D>(([qIn, kIn, vIn], save) => {
    save([qIn, kIn, vIn])
    const out: tf.Tensor2D[] = []
    for (let b = 0; b < blocks; b++) {
      const heads: tf.Tensor2D[] = []
      for (let h = 0; h < numHeads; h++) {
        heads.push(
          tf.tidy(() => {
            let p = weights(part(qIn as tf.Tensor2D, b, h), part(kIn as tf.Tensor2D, b, h))
            if (factors) p = tf.mul(p, factors(b, h)) as tf.Tensor2D
            return tf.matMul(p, part(vIn as tf.Tensor2D, b, h))
          }),
        )
      }
      out.push(tf.concat(heads, 1))
      tf.dispose(heads)
    }
    const value = tf.concat(out, 0)
    tf.dispose(out)
    return {
      value,
      gradFunc: (dy, saved) => {
        const [qs, ks, vs] = saved as tf.Tensor2D[]
        const dq: tf.Tensor2D[][] = []
        const dk: tf.Tensor2D[][] = []
        const dv: tf.Tensor2D[][] = []
        for (let b = 0; b < blocks; b++) {
          dq.push([])
          dk.push([])
          dv.push([])
          for (let h = 0; h < numHeads; h++) {
            const [gq, gk, gv] = tf.tidy(() => {
              const qh = part(qs, b, h)
              const kh = part(ks, b, h)
              const vh = part(vs, b, h)
              const dO = part(dy, b, h)
              const p = weights(qh, kh)
              const f = factors ? factors(b, h) : null
              const pd = f ? (tf.mul(p, f) as tf.Tensor2D) : p
              // dV = P_dᵀ·dO; dP = (dO·Vᵀ) ∘ f; dS = P ∘ (dP − rowsum(dP ∘ P)); dQ = dS·K·s; dK = dSᵀ·Q·s
              const gV = matMulTransposeA(pd, dO)
              let dP = tf.matMul(dO, tf.transpose(vh)) as tf.Tensor2D
              if (f) dP = tf.mul(dP, f) as tf.Tensor2D
              const dS = tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), 1, true))) as tf.Tensor2D
              const gQ = tf.mul(tf.matMul(dS, kh), scale) as tf.Tensor2D
              const gK = tf.mul(matMulTransposeA(dS, qh), scale) as tf.Tensor2D
              return [gQ, gK, gV]
            })
            dq[b].push(gq)
            dk[b].push(gk)
            dv[b].push(gv)
          }
        }
        const join = (parts: tf.Tensor2D[][]) => {
          const r = tf.tidy(() => tf.concat(parts.map((hs) => tf.concat(hs, 1)), 0))
          tf.dispose(parts.flat())
          return r
        }
        return [join(dq), join(dk), join(dv)]
      },
    }
  })
  return f(q, k, v)
}
