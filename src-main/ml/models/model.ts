/**
 * One interface over the trainable models: which architecture a model name means, its forward
 * pass over a batch of conditions, and (BioDSNN) the VAE on control cells.
 */
import * as tf from '@tensorflow/tfjs'
import { AppError } from '../../../src-shared/contract/envelope'
import { MODEL_ARCHITECTURES, type Mixing, type ModelName, type TrainConfig } from '../engine-types'
import { inferenceMode, type ForwardMode } from '../layers/mode'
import { ParamStore } from '../layers/param-store'
import type { ModelContext } from './context'
import type { AttentionMask } from '../ops/attention-mask'
import { biodsnnForward, blockDiagonal, vaeForward } from './biodsnn'
import { gearsForward, type ModelOutput } from './gears'

export interface ModelSpec {
  name: ModelName
  /** cross-gene MLP (GEARS step 5), masked sparse attention, or attention over all genes */
  mixing: Mixing
  vae: boolean
  selfEffect: boolean
  uncertainty: boolean
  /** residual models (docs/ml-engine.md §11.2): the per-condition scale of the prior */
  priorScale: boolean
}

export function modelSpec(config: Pick<TrainConfig, 'model' | 'selfEffect' | 'uncertainty' | 'prior'>): ModelSpec {
  const name = config.model as ModelName
  if (!Object.hasOwn(MODEL_ARCHITECTURES, name)) throw new AppError('train.unknown-model', `Unknown model "${String(config.model)}".`)
  return { name, ...MODEL_ARCHITECTURES[name], selfEffect: config.selfEffect, uncertainty: config.uncertainty, priorScale: config.prior === 'knowledge' }
}

export interface VaeOutput {
  /** [N, G] regenerated control cells (before the non-zero mask) */
  recon: tf.Tensor2D
  mu: tf.Tensor2D
  logvar: tf.Tensor2D
}

export interface PerturbationModel {
  spec: ModelSpec
  store: ParamStore
  ctx: ModelContext
  /** Δ (and log-variance) [B, G]; with `columns` (gene indices) [B, columns], computing less where the architecture allows (inference) */
  forward(conditions: number[][], mode: ForwardMode, columns?: Int32Array): ModelOutput
  vae?(x: tf.Tensor2D, mode: ForwardMode): VaeOutput
  dispose(): void
}

export function createModel(spec: ModelSpec, ctx: ModelContext, seed: number): PerturbationModel {
  const store = new ParamStore(seed)
  const heads = { selfEffect: spec.selfEffect, uncertainty: spec.uncertainty, priorScale: spec.priorScale }
  const masks = new Map<number, AttentionMask>()
  const mask = (blocks: number) => {
    let m = masks.get(blocks)
    if (!m) masks.set(blocks, (m = blockDiagonal(ctx.mask, blocks)))
    return m
  }
  const model: PerturbationModel = {
    spec,
    store,
    ctx,
    forward:
      spec.name === 'gears'
        ? (conditions, mode, columns) => gearsForward(store, ctx, conditions, mode, { ...heads, columns })
        : (conditions, mode, columns) => biodsnnForward(store, ctx, conditions, mode, { ...heads, mixing: spec.mixing, mask, columns }),
    dispose: () => store.dispose(),
  }
  if (spec.vae) model.vae = (x, mode) => vaeForward(store, x, mode)
  return model
}

/**
 * Creates every parameter (layers create theirs on first use) with one inference-mode pass, so
 * the optimiser and the checkpoints see the full set from the first step. `example` should hold
 * a perturbation whose gene is measured, so the self-effect link is built too.
 */
export function materialise(model: PerturbationModel, example: number[]): void {
  tf.tidy(() => {
    model.forward([example, []], inferenceMode)
    if (model.vae) model.vae(tf.zeros([2, model.ctx.G]) as tf.Tensor2D, inferenceMode)
  })
}
