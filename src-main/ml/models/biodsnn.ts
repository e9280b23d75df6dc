/**
 * BioDSNN (docs/ml-engine.md §4), with every module trained and saved (the released code rebuilds its
 * transformer and VAE with fresh random weights on every forward call).
 *
 * Knowledge stream: GEARS steps 1–3, one post-norm Transformer encoder layer over each condition's
 * G × H gene states with the sparse pathway mask (conditions of a batch stacked, the mask repeated
 * block-diagonally so no condition sees another), then GEARS step 4 (BatchNorm → ReLU → MLP →
 * per-gene linear) → Δ_know. The attention replaces the cross-gene MLP.
 * Data stream: a VAE on the paired control cell (G → 32 → μ, log σ² ∈ R¹⁶; 16 → 32 → G),
 * reparameterised in training, μ at inference; the trainer and `predict` use its reconstruction
 * only where the control cell is non-zero.
 * Ablations: `biodsnn-no-vae`, `biodsnn-no-attention` (GEARS' cross-gene MLP instead), and
 * `biodsnn-no-mask` (attention over all genes: G² per head and condition, see ops/full-attention).
 */
import * as tf from '@tensorflow/tfjs'
import type { AttentionMask } from '../ops/attention-mask'
import { linearConstInput } from '../ops/linear-const'
import { tensorOpsOnly } from '../ops/tensor-path'
import { dense } from '../layers/dense'
import { shardedDraw, type ForwardMode } from '../layers/mode'
import { torchLinearInit, type ParamStore } from '../layers/param-store'
import { randomNormalArray, mulberry32 } from '../random'
import type { Mixing } from '../engine-types'
import type { ModelContext } from './context'
import type { HeadOptions, ModelOutput } from './gears'
import { broadcastShifts, fastEncoderLayer, pickColumns, sharedBaseEncoderLayer } from './layers'
import { conditionShifts, crossGene, geneBase, pertStates, priorScale, recovery, selfEffect, uncertaintyHead } from './knowledge-stream'

export const VAE_HIDDEN = 32
export const VAE_LATENT = 16

/** The mask repeated for `blocks` stacked conditions (block-diagonal CSR). */
export function blockDiagonal(mask: AttentionMask, blocks: number): AttentionMask {
  if (blocks === 1) return mask
  const { size, rowPtr, colIdx } = mask
  const nnz = colIdx.length
  const outPtr = new Int32Array(size * blocks + 1)
  const outCol = new Int32Array(nnz * blocks)
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i <= size; i++) outPtr[b * size + i] = b * nnz + rowPtr[i]
    for (let p = 0; p < nnz; p++) outCol[b * nnz + p] = colIdx[p] + b * size
  }
  return { size: size * blocks, rowPtr: outPtr, colIdx: outCol }
}

export function biodsnnForward(store: ParamStore, ctx: ModelContext, conditions: number[][], mode: ForwardMode, options: HeadOptions & { mixing: Mixing; mask: (blocks: number) => AttentionMask; columns?: Int32Array }): ModelOutput {
  const B = conditions.length
  return tf.tidy(() => {
    const pert = pertStates(store, ctx, conditions)
    const base = geneBase(store, ctx, mode)
    const shifts = conditionShifts(store, ctx, pert, conditions, mode)
    const scale = options.priorScale ? { priorScale: priorScale(store, shifts) } : {}
    // In inference the conditions' shared base lets the attention scores be computed once per batch,
    // and after the attention every gene row is independent: only the genes asked for are computed.
    // (Not on a GPU backend: the shared-base attention is a typed-array op; there the masked
    // attention is dense per condition and the columns are picked at the end.)
    const sharedBase = options.mixing === 'masked-attention' && !mode.training && !tensorOpsOnly()
    const rows = sharedBase ? options.columns : undefined
    let x: tf.Tensor2D
    if (sharedBase) x = sharedBaseEncoderLayer(store, 'encoder', base, shifts, ctx.mask, rows)
    else if (options.mixing === 'masked-attention') x = fastEncoderLayer(store, 'encoder', broadcastShifts(base, shifts), { kind: 'masked', mask: options.mask(B), single: ctx.mask, blocks: B }, mode)
    else if (options.mixing === 'full-attention') x = fastEncoderLayer(store, 'encoder', broadcastShifts(base, shifts), { kind: 'full', blocks: B }, mode)
    else x = broadcastShifts(base, shifts)
    const { z, hidden } = recovery(store, ctx, x, B, mode, rows)
    let delta = options.mixing === 'cross-gene' ? crossGene(store, ctx, z, mode) : z
    if (options.selfEffect) {
      const self = selfEffect(store, ctx, pert, conditions, rows)
      if (self) delta = tf.add(delta, self) as tf.Tensor2D
    }
    // The paths that compute every gene (training, other mixings) pick the columns at the end.
    const pick = rows ? undefined : options.columns
    delta = pickColumns(delta, pick)
    return options.uncertainty ? { delta, logvar: pickColumns(uncertaintyHead(store, ctx, hidden, B, mode), pick), ...scale } : { delta, ...scale }
  })
}

/** The reparameterisation's ε for n cells, N(0, 1) [n, latent]; a data-parallel worker's part of the whole step's. */
function vaeNoise(n: number, mode: ForwardMode): Float32Array {
  const seed = mode.nextSeed()
  return shardedDraw(mode.shard, n * VAE_LATENT, 'cells', (size) => randomNormalArray(size, mulberry32(seed)))
}

/** The data stream's VAE on dense control cells x [N, G]. */
export function vaeForward(store: ParamStore, x: tf.Tensor2D, mode: ForwardMode): { recon: tf.Tensor2D; mu: tf.Tensor2D; logvar: tf.Tensor2D } {
  const [n, G] = x.shape
  return tf.tidy(() => {
    const w = store.param('vae.enc.weight', [G, VAE_HIDDEN], torchLinearInit(G)) as tf.Tensor2D
    const b = store.param('vae.enc.bias', [VAE_HIDDEN], torchLinearInit(G)) as tf.Tensor1D
    const h = tf.relu(linearConstInput(x, w, b)) as tf.Tensor2D
    const mu = dense(store, 'vae.mu', h, VAE_LATENT)
    const logvar = dense(store, 'vae.logvar', h, VAE_LATENT)
    // Reparameterised in training (ε seeded like dropout), the mean at inference.
    const z = mode.training ? (tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), tf.tensor2d(vaeNoise(n, mode), [n, VAE_LATENT]))) as tf.Tensor2D) : mu
    const recon = dense(store, 'vae.out', tf.relu(dense(store, 'vae.dec', z, VAE_HIDDEN)) as tf.Tensor2D, G)
    return { recon, mu, logvar }
  })
}
