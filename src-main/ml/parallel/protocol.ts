/**
 * Messages between a data-parallel training's rank 0 (the trainer, parallel/peers.ts) and its
 * other workers (peer-runtime.ts). The dataset travels once, at spawn, in shared memory.
 */
import type { BackendName } from '../backend'
import type { TrainConfig, TrainingData } from '../engine-types'
import type { ParamsArtifact } from '../serialize'
import type { ShardPlan, Visit } from '../train-step'
import type { WireError } from '../worker-protocol'
import type { CollectiveBuffers } from './collective'

/** `workerData` of a peer: the training worker's script runs peer-runtime when it sees `role: 'peer'`. */
export interface PeerInit {
  role: 'peer'
  rank: number
  prefer: BackendName
  collective: CollectiveBuffers
  data: TrainingData
}

export type PeerRequest =
  /** a model to train with: the starting weights (and Adam's state when resuming), the trainable parameters' names in order */
  | { type: 'setup'; config: TrainConfig; params: ParamsArtifact; optimizer?: ParamsArtifact; names: string[] }
  /** one step: the whole step's visits and layout, this peer's prior rows */
  | { type: 'step'; batch: Visit[]; plan: ShardPlan; prior: Float32Array | null; seed: number; lr: number }
  | { type: 'teardown' }
  /** this worker's wasm heap, for benchmarks */
  | { type: 'stats' }

export type PeerReply = { type: 'setup-done' } | { type: 'stats'; heapMb: number | null } | { type: 'failed'; error: WireError }
