/**
 * Where a run's training data comes from: the imported dataset plus the project's knowledge
 * release, turned into the engine's input by `buildTrainingData`. The prepared dataset stays in
 * the dataset cache, so its arrays are named in `keep` and copied, not transferred, to the worker.
 */
import type { TrainSetup } from '../../../src-shared/contract'
import type { TrainingData } from '../../ml/engine-types'
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
