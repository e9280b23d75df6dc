/**
 * GEARS (model.md §3): Δ for a batch of conditions from the knowledge stream, with the
 * cross-gene MLP, the optional uncertainty head and the self-effect link. The prediction for a
 * cell is its paired control cell + Δ (the trainer's loss and `predict` add the control).
 */
import * as tf from '@tensorflow/tfjs'
import type { ForwardMode } from '../layers/mode'
import type { ParamStore } from '../layers/param-store'
import type { ModelContext } from './context'
import { crossGene, fuseConditions, geneBase, pertStates, recovery, selfEffect, uncertaintyHead } from './knowledge-stream'

export interface HeadOptions {
  selfEffect: boolean
  uncertainty: boolean
}

export interface ModelOutput {
  /** [B, G] */
  delta: tf.Tensor2D
  /** [B, G] log-variance (uncertainty head) */
  logvar?: tf.Tensor2D
}

export function gearsForward(store: ParamStore, ctx: ModelContext, conditions: number[][], mode: ForwardMode, options: HeadOptions): ModelOutput {
  const B = conditions.length
  return tf.tidy(() => {
    const pert = pertStates(store, ctx, conditions)
    const x = fuseConditions(store, ctx, geneBase(store, ctx, mode), pert, conditions, mode)
    const { z, hidden } = recovery(store, ctx, x, B, mode)
    let delta = crossGene(store, ctx, z, mode)
    if (options.selfEffect) {
      const self = selfEffect(store, ctx, pert, conditions)
      if (self) delta = tf.add(delta, self) as tf.Tensor2D
    }
    return options.uncertainty ? { delta, logvar: uncertaintyHead(store, ctx, hidden, B, mode) } : { delta }
  })
}
