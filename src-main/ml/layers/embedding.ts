import * as tf from '@tensorflow/tfjs'
import { gatherRows } from '../ops/segment'
import { tensorOpsOnly } from '../ops/tensor-path'
import type { ParamStore } from './param-store'

export interface EmbeddingOptions {
  /** PyTorch's max_norm: looked-up rows whose L2 norm exceeds it are rescaled in place first. */
  maxNorm?: number
  /** Rows to look up; all rows in order when absent. */
  indices?: Int32Array
}

/**
 * An embedding table `${name}.weight` [rows, dim], initialised N(0, 1) like nn.Embedding. With
 * maxNorm, the looked-up rows are renormalised in the stored weights (no gradient through the
 * rescaling, as embedding_renorm_ in PyTorch) before they are read.
 */
export function embedding(store: ParamStore, name: string, rows: number, dim: number, options: EmbeddingOptions = {}): tf.Tensor2D {
  const table = store.param(`${name}.weight`, [rows, dim], { kind: 'normal', std: 1 })
  if (options.maxNorm !== undefined) renormRows(table, dim, options.maxNorm, options.indices)
  if (!options.indices) return tf.clone(table) as tf.Tensor2D
  const idx = tf.tensor1d(options.indices, 'int32')
  const out = gatherRows(table as tf.Tensor2D, idx)
  idx.dispose()
  return out
}

function renormRows(table: tf.Variable, dim: number, maxNorm: number, indices?: Int32Array): void {
  if (tensorOpsOnly()) return renormRowsOps(table, maxNorm, indices)
  // A copy: the cpu backend's dataSync hands out the tensor's own storage.
  const values = (table.dataSync() as Float32Array).slice()
  const rows = values.length / dim
  let changed = false
  const visit = (r: number) => {
    let sq = 0
    for (let c = 0; c < dim; c++) sq += values[r * dim + c] * values[r * dim + c]
    const norm = Math.sqrt(sq)
    if (norm > maxNorm) {
      const scale = maxNorm / (norm + 1e-7)
      for (let c = 0; c < dim; c++) values[r * dim + c] *= scale
      changed = true
    }
  }
  if (indices) new Set(indices).forEach((r) => visit(r))
  else for (let r = 0; r < rows; r++) visit(r)
  if (changed) tf.tidy(() => table.assign(tf.tensor(values, table.shape)))
}

/** renormRows with tfjs ops (GPU backends: no read of the table): rows over maxNorm, among `indices` when given, scaled to it. */
function renormRowsOps(table: tf.Variable, maxNorm: number, indices?: Int32Array): void {
  const rows = table.shape[0]
  tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(table), 1, true))
    let over = tf.greater(norm, maxNorm)
    if (indices) {
      const chosen = new Float32Array(rows)
      for (const r of indices) chosen[r] = 1
      over = tf.logicalAnd(over, tf.cast(tf.tensor2d(chosen, [rows, 1]), 'bool'))
    }
    const scale = tf.where(over, tf.div(maxNorm, tf.add(norm, 1e-7)), tf.onesLike(norm))
    table.assign(tf.mul(table, scale))
  })
}
