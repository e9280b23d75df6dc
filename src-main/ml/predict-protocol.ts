/**
 * Messages between the prediction service and a worker in the prediction role (worker.ts,
 * predict-worker-runtime.ts). Plain data only; weights, expression and results travel as
 * transferred buffers.
 */
import type { BackendName } from './backend'
import type { TrainConfig, TrainingData } from './engine-types'
import type { PredictOptions, StoredModel } from './predict'
import type { WireError } from './worker-protocol'

export interface PredictWorkerInit {
  role: 'predict'
  prefer?: BackendName
  /** models kept loaded (least recently used ones are disposed) */
  keep: number
}

export type PredictRequest =
  /** builds the model once; `data` carries only what prediction reads (see prediction-service `forWorker`) */
  | { type: 'load'; id: number; key: string; stored: StoredModel; config: TrainConfig; data: TrainingData }
  | { type: 'predict'; id: number; key: string; sets: string[][]; options: PredictOptions; batch: number }


export interface PredictOutput {
  /** row-major [sets, G] mean predicted expression ([sets, columns] when the options name columns, and so below) */
  means: Float32Array
  /** row-major [sets, G] variance from the uncertainty head, or null */
  variances: Float32Array | null
  /** [G] what the model adds Δ to: the control mean, or a VAE's regenerated control mean */
  base: Float32Array
  /** milliseconds spent in the worker, for benchmarks */
  ms: number
}

export type PredictReply =
  | { type: 'loaded'; id: number; ms: number }
  | { type: 'predicted'; id: number; output: PredictOutput }
  | { type: 'error'; id: number; error: WireError }
