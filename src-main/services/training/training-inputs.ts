/**
 * What the engine is given for a run: its training data — the imported dataset plus the project's
 * knowledge release, turned into the engine's input by `buildTrainingData` (the prepared dataset
 * stays in the dataset cache, so its arrays are named in `keep` and copied, not transferred, to the
 * worker) — and its config, from the stored setup.
 */
import type { TrainSetup } from '../../../src-shared/contract'
import type { TrainConfig, TrainingData } from '../../ml/engine-types'
import { buffersOf } from '../../ml/worker-protocol'
import type { DatasetService } from '../datasets/dataset-service'
import type { KnowledgeService } from '../knowledge/knowledge-service'
import { buildTrainingData } from './training-data'

export function trainingDataSource(deps: { datasets: DatasetService; knowledge: KnowledgeService }) {
  return async (datasetId: number, setup: TrainSetup): Promise<{ data: TrainingData; keep: ReadonlySet<ArrayBufferLike> }> => {
    const { projectId } = deps.datasets.require(datasetId).summary
    const prepared = await deps.datasets.load(datasetId)
    const release = deps.knowledge.projectRelease(projectId).effective
    const kb = release ? await deps.knowledge.base(release) : null
    const data = buildTrainingData(prepared, kb, { datasetId, maskLevel: setup.maskLevel })
    return { data, keep: buffersOf(prepared) }
  }
}

/** The stored setup as the engine's config (the setup's extra fields: dataset and label). */
export function toTrainConfig(s: TrainSetup): TrainConfig {
  return {
    model: s.model,
    split: s.split,
    seed: s.seed,
    epochs: s.epochs,
    batchConditions: s.batchConditions,
    cellsPerCondition: s.cellsPerCondition,
    hidden: s.hidden,
    lr: s.lr,
    weightDecay: s.weightDecay,
    schedule: s.schedule,
    gradClip: s.gradClip,
    loss: s.loss,
    selfEffect: s.selfEffect,
    uncertainty: s.uncertainty,
    uncertaintyReference: s.uncertaintyReference,
    maskLevel: s.maskLevel,
    ...(s.prior ? { prior: s.prior } : {}),
    ...(s.pertGraph ? { pertGraph: s.pertGraph } : {}),
    ...(s.backend ? { backend: s.backend } : {}),
    // Runs stored before the option ran on one worker.
    ...(s.workers && s.workers > 1 ? { workers: s.workers } : {}),
  }
}
