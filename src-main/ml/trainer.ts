/**
 * `train()`: the engine's one entry for a run (engine-types). Checks the config and data, draws
 * the split (model.md §6), then either fits a baseline in closed form (§8) or trains a model
 * (§3–§5) and evaluates the best epoch on the test split (§7).
 */
import { AppError } from '../../src-shared/contract/envelope'
import { describeBackend } from './backend-info'
import { fitBaselines, fittedRecord, isBaseline, predictBaseline } from './baselines'
import { validateConfig } from './config'
import type { Split, TrainCallbacks, TrainConfig, TrainingData, TrainResult, ResumeState } from './engine-types'
import { controlCells } from './expression'
import { evaluatePredictions } from './metrics'
import { makeSplit } from './splits'

/** Refuses data no model can learn from, with what to do about it. */
export function validateData(data: TrainingData): void {
  if (controlCells(data).length === 0) {
    throw new AppError('train.no-control-cells', 'The dataset has no control cells (condition `ctrl`); every prediction starts from a control cell. Import it again naming the control label.')
  }
  if (data.genes.length !== data.expression.nCols) throw new AppError('train.bad-data', `The dataset lists ${data.genes.length} genes but its matrix has ${data.expression.nCols} columns.`)
  if (data.controlMean.length !== data.genes.length) throw new AppError('train.bad-data', `The control mean has ${data.controlMean.length} values for ${data.genes.length} genes.`)
}

export async function train(data: TrainingData, config: TrainConfig, callbacks: TrainCallbacks = {}, resume?: ResumeState): Promise<TrainResult> {
  validateConfig(config)
  validateData(data)
  const split = makeSplit(data.conditions, config.split)
  const backend = await describeBackend()
  if (isBaseline(config.model)) return { backend, ...trainBaseline(data, config, split) }
  void callbacks
  void resume
  throw new AppError('train.unknown-model', `Model ${config.model} is not available in this build.`)
}

function trainBaseline(data: TrainingData, config: TrainConfig, split: Split): Omit<TrainResult, 'backend'> {
  const name = config.model
  if (!isBaseline(name)) throw new Error(`${name} is not a baseline`)
  const fitted = fitBaselines(data, split)
  const genesOf = new Map(data.conditions.map((c) => [c.condition, c.genes]))
  const predictions = new Map(split.test.map((c) => [c, predictBaseline(name, fitted, genesOf.get(c) ?? [])]))
  return { split, bestEpoch: 0, epochs: [], test: evaluatePredictions(data, split.test, predictions, split.testGroups), fitted: fittedRecord(fitted) }
}
