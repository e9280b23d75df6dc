/**
 * Post-norm Transformer encoder layer (PyTorch nn.TransformerEncoderLayer, ReLU, norm_first false)
 * on x [genes, d_model], with masked attention over the gene mask (docs/ml-engine.md §4):
 *   x1 = LN1(x + Dropout(MHA(x)));  out = LN2(x1 + Dropout(W2·Dropout(ReLU(W1·x1))))
 * MHA applies the same dropout to its attention weights, as PyTorch's does.
 */
import * as tf from '@tensorflow/tfjs'
import { dropout } from '../ops/dropout'
import type { AttentionMask } from '../ops/attention-mask'
import { denseMaskedAttention, sparseAttention } from '../ops/sparse-attention'
import { dense } from './dense'
import { layerNorm } from './layer-norm'
import type { ForwardMode } from './mode'
import { glorotInit, type ParamStore } from './param-store'

export interface EncoderOptions {
  numHeads: number
  ffDim: number
  dropout: number
  /** Dense masked attention instead of the sparse op: benchmarks and tests only. */
  denseAttention?: boolean
}

/** BioDSNN's layer: d_model 64 (from x), 2 heads, feed-forward 512, dropout 0.1. */
export const BIODSNN_ENCODER: EncoderOptions = { numHeads: 2, ffDim: 512, dropout: 0.1 }

export function encoderLayer(store: ParamStore, name: string, x: tf.Tensor2D, mask: AttentionMask, mode: ForwardMode, options: EncoderOptions = BIODSNN_ENCODER): tf.Tensor2D {
  const d = x.shape[1]
  const rate = mode.training ? options.dropout : 0
  const drop = (t: tf.Tensor2D) => (rate > 0 ? dropout(t, rate, mode.nextSeed()) : t)
  return tf.tidy(() => {
    // PyTorch initialises the packed [3d, d] in-projection with xavier_uniform and zero biases.
    const proj = (part: string) => dense(store, `${name}.attn.${part}`, x, d, { init: glorotInit(d, 3 * d), biasInit: { kind: 'zeros' } })
    const q = proj('q')
    const k = proj('k')
    const v = proj('v')
    const attnDropout = rate > 0 ? { rate, seed: mode.nextSeed() } : undefined
    const mixed = options.denseAttention ? denseMaskedAttention(q, k, v, mask, options.numHeads, attnDropout) : sparseAttention(q, k, v, mask, options.numHeads, attnDropout)
    const attn = dense(store, `${name}.attn.out`, mixed, d, { biasInit: { kind: 'zeros' } })
    const x1 = layerNorm(store, `${name}.norm1`, tf.add(x, drop(attn)))
    const hidden = drop(tf.relu(dense(store, `${name}.ff1`, x1, options.ffDim)))
    const ff = dense(store, `${name}.ff2`, hidden, d)
    return layerNorm(store, `${name}.norm2`, tf.add(x1, drop(ff)))
  })
}
