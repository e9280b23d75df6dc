/**
 * The foundation's BatchNorm, MLP, LayerNorm and encoder layer (layers/), with the fused norm ops
 * of ops/norms.ts in training. Same parameter names, initialisation and numbers, so weights are
 * interchangeable; the models use these because the norms sit on [conditions × genes, H] tensors
 * where op-by-op autodiff cost a noticeable share of a step (perf-notes traps 4 and 7). On a GPU
 * backend (`tensorOpsOnly`) the tfjs-op references run instead, and the masked attention is dense
 * per condition (ops/full-attention `blockMaskedAttention`): no typed-array op reads a tensor.
 */
import * as tf from '@tensorflow/tfjs'
import { batchNorm } from '../layers/batch-norm'
import { dense } from '../layers/dense'
import { BIODSNN_ENCODER } from '../layers/encoder'
import { layerNorm } from '../layers/layer-norm'
import { inferenceMode, type ForwardMode } from '../layers/mode'
import { glorotInit, type ParamStore } from '../layers/param-store'
import type { AttentionMask } from '../ops/attention-mask'
import { dropout } from '../ops/dropout'
import { blockMaskedAttention, fullAttention } from '../ops/full-attention'
import { batchNormOp, layerNormOp } from '../ops/norms'
import { sparseAttention, sparseAttentionSharedBase } from '../ops/sparse-attention'
import { linear } from '../ops/linear'
import { tensorOpsOnly } from '../ops/tensor-path'

const MOMENTUM = 0.1

export function fastBatchNorm(store: ParamStore, name: string, x: tf.Tensor2D, mode: ForwardMode): tf.Tensor2D {
  if (mode.shard && tensorOpsOnly()) throw new Error('data-parallel training runs on one-core backends only (wasm, cpu)')
  if (!mode.training || tensorOpsOnly()) return batchNorm(store, name, x, mode)
  const [n, c] = x.shape
  const sync = mode.shard?.collective
  if (n < 2 && !sync) throw new Error(`batch norm ${name}: training needs more than one row per channel, got ${n}`)
  const gamma = store.param(`${name}.gamma`, [c], { kind: 'ones' }) as tf.Tensor1D
  const beta = store.param(`${name}.beta`, [c], { kind: 'zeros' }) as tf.Tensor1D
  const runningMean = store.param(`${name}.running_mean`, [c], { kind: 'zeros' }, { trainable: false })
  const runningVar = store.param(`${name}.running_var`, [c], { kind: 'ones' }, { trainable: false })
  const { y, mean, variance, rows } = batchNormOp(x, gamma, beta, 1e-5, sync)
  const N = rows()
  // PyTorch: running = (1 − m)·running + m·batch, with the unbiased variance.
  tf.tidy(() => {
    runningMean.assign(tf.add(tf.mul(runningMean, 1 - MOMENTUM), tf.mul(tf.tensor1d(Float32Array.from(mean)), MOMENTUM)))
    runningVar.assign(tf.add(tf.mul(runningVar, 1 - MOMENTUM), tf.mul(tf.tensor1d(Float32Array.from(variance)), (MOMENTUM * N) / (N - 1))))
  })
  return y
}

/** GEARS' MLP (layers/mlp.ts) with fastBatchNorm. */
export function fastMlp(store: ParamStore, name: string, x: tf.Tensor2D, sizes: number[], mode: ForwardMode): tf.Tensor2D {
  if (x.shape[1] !== sizes[0]) throw new Error(`mlp ${name}: input has ${x.shape[1]} columns, sizes start at ${sizes[0]}`)
  return tf.tidy(() => {
    let h = x
    for (let i = 0; i + 1 < sizes.length; i++) {
      h = fastBatchNorm(store, `${name}.${i}.bn`, dense(store, `${name}.${i}.linear`, h, sizes[i + 1]), mode)
      if (i + 2 < sizes.length) h = tf.relu(h)
    }
    return h
  })
}

export function fastLayerNorm(store: ParamStore, name: string, x: tf.Tensor2D): tf.Tensor2D {
  if (tensorOpsOnly()) return layerNorm(store, name, x)
  const c = x.shape[1]
  const gamma = store.param(`${name}.gamma`, [c], { kind: 'ones' }) as tf.Tensor1D
  const beta = store.param(`${name}.beta`, [c], { kind: 'zeros' }) as tf.Tensor1D
  return layerNormOp(x, gamma, beta)
}

/** `masked`: `mask` over the stacked rows; `single` and `blocks` (when given) say it is `single` repeated block-diagonally, which the GPU path needs. */
export type EncoderAttention = { kind: 'masked'; mask: AttentionMask; single?: AttentionMask; blocks?: number } | { kind: 'full'; blocks: number }

/** layers/encoder.ts (post-norm, BioDSNN's sizes) with fused LayerNorms, masked or over all genes. */
export function fastEncoderLayer(store: ParamStore, name: string, x: tf.Tensor2D, attention: EncoderAttention, mode: ForwardMode): tf.Tensor2D {
  const d = x.shape[1]
  const { numHeads } = BIODSNN_ENCODER
  const rate = mode.training ? BIODSNN_ENCODER.dropout : 0
  return tf.tidy(() => {
    const proj = (part: string) => dense(store, `${name}.attn.${part}`, x, d, { init: glorotInit(d, 3 * d), biasInit: { kind: 'zeros' } })
    const q = proj('q')
    const k = proj('k')
    const v = proj('v')
    const attnDropout = rate > 0 ? { rate, seed: mode.nextSeed(), ...(mode.shard ? { shard: mode.shard } : {}) } : undefined
    const mixed =
      attention.kind === 'full'
        ? fullAttention(q, k, v, attention.blocks, numHeads, attnDropout)
        : tensorOpsOnly()
          ? blockMaskedAttention(q, k, v, attention.single ?? attention.mask, attention.single ? (attention.blocks ?? 1) : 1, numHeads, attnDropout)
          : sparseAttention(q, k, v, attention.mask, numHeads, attnDropout)
    return encoderTail(store, name, x, mixed, mode)
  })
}

/**
 * `fastEncoderLayer` with the masked attention, in inference, for B conditions whose rows are
 * base [G, H] + shifts[b] (BioDSNN's fused gene states): the attention scores shared by every
 * condition are computed once (ops/sparse-attention `csrAttentionSharedBase`). `mask` is the
 * one-condition mask. Same output as `fastEncoderLayer` on the stacked rows with the
 * block-diagonal mask. With `rows`, only those gene rows of each condition ([B · rows, H]): the
 * rows after the attention are independent, so the rest need not be computed.
 */
export function sharedBaseEncoderLayer(store: ParamStore, name: string, base: tf.Tensor2D, shifts: tf.Tensor2D, mask: AttentionMask, rows?: Int32Array): tf.Tensor2D {
  const d = base.shape[1]
  return tf.tidy(() => {
    const projBase = (part: string) => dense(store, `${name}.attn.${part}`, base, d, { init: glorotInit(d, 3 * d), biasInit: { kind: 'zeros' } })
    // The shifts' projections carry no bias: it is in the base's (q = (base + shift)·W + b).
    const projShift = (part: string) => linear(shifts, store.get(`${name}.attn.${part}.weight`) as tf.Tensor2D)
    const mixed = sparseAttentionSharedBase(projBase('q'), projBase('k'), projBase('v'), projShift('q'), projShift('v'), mask, BIODSNN_ENCODER.numHeads, rows)
    const residual = rows ? tf.gather(base, tf.tensor1d(rows, 'int32')) : base
    return encoderTail(store, name, broadcastShifts(residual, shifts), mixed, inferenceMode)
  })
}

/** The genes `columns` of a [B, G] output, [B, columns]; the whole output without columns. */
export function pickColumns(t: tf.Tensor2D, columns?: Int32Array): tf.Tensor2D {
  return columns ? (tf.gather(t, tf.tensor1d(columns, 'int32'), 1) as tf.Tensor2D) : t
}

/** Base [G, H] plus each condition's shift [B, H] on every gene row: [B·G, H], conditions stacked. */
export function broadcastShifts(base: tf.Tensor2D, shifts: tf.Tensor2D): tf.Tensor2D {
  const [B, H] = shifts.shape
  return tf.tidy(() => tf.reshape(tf.add(tf.expandDims(base, 0), tf.expandDims(shifts, 1)), [B * base.shape[0], H]) as tf.Tensor2D)
}

/** After the attention: output projection, residual + LayerNorm, feed-forward, residual + LayerNorm. */
function encoderTail(store: ParamStore, name: string, x: tf.Tensor2D, mixed: tf.Tensor2D, mode: ForwardMode): tf.Tensor2D {
  const d = x.shape[1]
  const rate = mode.training ? BIODSNN_ENCODER.dropout : 0
  const drop = (t: tf.Tensor2D) => (rate > 0 ? dropout(t, rate, mode.nextSeed(), mode.shard) : t)
  const attn = dense(store, `${name}.attn.out`, mixed, d, { biasInit: { kind: 'zeros' } })
  const x1 = fastLayerNorm(store, `${name}.norm1`, tf.add(x, drop(attn)) as tf.Tensor2D)
  const hidden = drop(tf.relu(dense(store, `${name}.ff1`, x1, BIODSNN_ENCODER.ffDim)) as tf.Tensor2D)
  return fastLayerNorm(store, `${name}.norm2`, tf.add(x1, drop(dense(store, `${name}.ff2`, hidden, d))) as tf.Tensor2D)
}
