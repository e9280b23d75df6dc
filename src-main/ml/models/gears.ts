/**
 * GEARS (docs/ml-engine.md §3): Δ for a batch of conditions from the knowledge stream, with the
 * cross-gene MLP, the optional uncertainty head and the self-effect link. The prediction for a
 * cell is its paired control cell + Δ (the trainer's loss and `predict` add the control).
 */
import * as tf from '@tensorflow/tfjs'
import type { ForwardMode } from '../layers/mode'
import type { ParamStore } from '../layers/param-store'
import type { ModelContext } from './context'
import { conditionShifts, crossGene, geneBase, pertStates, priorScale, recovery, selfEffect, uncertaintyHead } from './knowledge-stream'
import { broadcastShifts, pickColumns } from './layers'

export interface HeadOptions {
  selfEffect: boolean
  uncertainty: boolean
  /** residual models: the per-condition scale of the prior (`priorScale`) */
  priorScale?: boolean
}

export interface ModelOutput {
  /** [B, G] */
  delta: tf.Tensor2D
  /** [B, G] log-variance (uncertainty head) */
  logvar?: tf.Tensor2D
  /** [B, 1] residual models: the share of the prior added to it (0 at the start) */
  priorScale?: tf.Tensor2D
}

/**
 * With `columns`, Δ and the log-variance of those genes only, [B, columns]. The cross-gene MLP reads
 * every gene's state, so Δ is computed for all genes and picked; the uncertainty head is per gene
 * row, so in inference (BatchNorm on running statistics) it runs on the columns' rows alone.
 */
export function gearsForward(store: ParamStore, ctx: ModelContext, conditions: number[][], mode: ForwardMode, options: HeadOptions & { columns?: Int32Array }): ModelOutput {
  const B = conditions.length
  const { G } = ctx
  return tf.tidy(() => {
    const pert = pertStates(store, ctx, conditions)
    const shifts = conditionShifts(store, ctx, pert, conditions, mode)
    const x = broadcastShifts(geneBase(store, ctx, mode), shifts)
    const scale = options.priorScale ? { priorScale: priorScale(store, shifts) } : {}
    const { z, hidden } = recovery(store, ctx, x, B, mode)
    let delta = crossGene(store, ctx, z, mode)
    if (options.selfEffect) {
      const self = selfEffect(store, ctx, pert, conditions)
      if (self) delta = tf.add(delta, self) as tf.Tensor2D
    }
    const { columns } = options
    delta = pickColumns(delta, columns)
    if (!options.uncertainty) return { delta, ...scale }
    if (!columns || mode.training) return { delta, logvar: pickColumns(uncertaintyHead(store, ctx, hidden, B, mode), columns), ...scale }
    const rows = new Int32Array(B * columns.length)
    for (let b = 0; b < B; b++) for (let k = 0; k < columns.length; k++) rows[b * columns.length + k] = b * G + columns[k]
    return { delta, logvar: uncertaintyHead(store, ctx, tf.gather(hidden, tf.tensor1d(rows, 'int32')) as tf.Tensor2D, B, mode), ...scale }
  })
}
