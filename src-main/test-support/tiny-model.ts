/**
 * The model tests' shared start: the wasm backend up, and a model context (hidden 8) over a tiny
 * screen with the co-expression graph of a seeded simulation split, as training would build it.
 */
import { initBackend } from '../ml/backend'
import type { TrainingData } from '../ml/engine-types'
import { splitCoexpression } from '../ml/knowledge-graphs'
import { buildModelContext, type ModelContext } from '../ml/models/context'
import { makeSplit } from '../ml/splits'

export async function tinyModelContext(data: TrainingData): Promise<ModelContext> {
  await initBackend({ prefer: 'wasm' })
  const split = makeSplit(data.conditions, { kind: 'simulation', seed: 1 })
  return buildModelContext(data, splitCoexpression(data, split), 8)
}
