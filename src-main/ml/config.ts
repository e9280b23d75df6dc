/** Training defaults (docs/ml-engine.md §3–§5) and the checks every config goes through before a run. */
import { defaultHidden, TRAIN_DEFAULTS } from '../../src-shared/domain/train-defaults'
import { AppError } from '../../src-shared/contract/envelope'
import { isBackendName } from './backend'
import { BASELINE_NAMES, MODEL_NAMES, type Trainable, type TrainConfig } from './engine-types'

/** Worker threads a step can be split over (each holds a copy of the model). */
export const MAX_WORKERS = 64

export const TRAINABLE_NAMES: readonly Trainable[] = [...MODEL_NAMES, ...BASELINE_NAMES]

/** The defaults written once in the contract (`TRAIN_DEFAULTS`, `defaultHidden`), as an engine config. */
export function defaultTrainConfig(model: Trainable = 'biodsnn', overrides: Partial<TrainConfig> = {}): TrainConfig {
  // A deep copy: configs are mutated by callers, the shared constant must not be.
  return { model, ...(structuredClone(TRAIN_DEFAULTS) as unknown as Omit<TrainConfig, 'model' | 'hidden'>), hidden: defaultHidden(model), ...overrides }
}

const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0
const finiteNonNeg = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0

/** Throws a clear AppError for the first thing wrong with `config`. */
export function validateConfig(config: TrainConfig): void {
  const bad = (field: string, message: string) => new AppError('train.invalid-config', `${field}: ${message}`)
  if (!TRAINABLE_NAMES.includes(config.model)) {
    throw new AppError('train.unknown-model', `Unknown model "${String(config.model)}". Choose one of: ${TRAINABLE_NAMES.join(', ')}.`)
  }
  if (!positiveInt(config.epochs)) throw new AppError('train.invalid-epochs', `epochs must be a whole number ≥ 1 (got ${String(config.epochs)}).`)
  if (!Number.isInteger(config.seed) || config.seed < 0) throw bad('seed', `must be a whole number ≥ 0 (got ${String(config.seed)})`)
  if (!positiveInt(config.batchConditions) || config.batchConditions < 2) throw bad('batchConditions', `must be a whole number ≥ 2 (BatchNorm over conditions needs two), got ${String(config.batchConditions)}`)
  if (config.cellsPerCondition !== 'all' && !positiveInt(config.cellsPerCondition)) throw bad('cellsPerCondition', `must be a whole number ≥ 1 or "all" (got ${String(config.cellsPerCondition)})`)
  if (!positiveInt(config.hidden) || config.hidden % 2 !== 0) throw bad('hidden', `must be an even whole number ≥ 2 (2 attention heads), got ${String(config.hidden)}`)
  if (!(config.lr > 0 && Number.isFinite(config.lr))) throw bad('lr', `must be > 0 (got ${String(config.lr)})`)
  if (!finiteNonNeg(config.weightDecay)) throw bad('weightDecay', 'must be ≥ 0')
  if (!(config.gradClip > 0)) throw bad('gradClip', 'must be > 0')
  const s = config.schedule
  if (!s || !['reference', 'step', 'cosine'].includes(s.kind)) throw bad('schedule', 'must be reference, step or cosine')
  if (s.kind === 'step' && (!positiveInt(s.every) || !(s.factor > 0 && s.factor <= 1))) throw bad('schedule', 'step needs every ≥ 1 and 0 < factor ≤ 1')
  if (s.kind === 'cosine' && !(finiteNonNeg(s.minLr) && s.minLr <= config.lr)) throw bad('schedule', 'cosine needs 0 ≤ minLr ≤ lr')
  const l = config.loss
  if (!finiteNonNeg(l.gamma)) throw bad('loss.gamma', 'must be ≥ 0')
  if (!finiteNonNeg(l.lambdaDirection) || !finiteNonNeg(l.betaKl) || !finiteNonNeg(l.betaReconstruction)) throw bad('loss', 'weights must be ≥ 0')
  if (l.direction !== 'tanh' && l.direction !== 'sign') throw bad('loss.direction', 'must be tanh or sign')
  if (!(l.tanhK > 0)) throw bad('loss.tanhK', 'must be > 0')
  if (config.maskLevel.kind === 'max-genes' && !positiveInt(config.maskLevel.maxGenes)) throw bad('maskLevel', 'max-genes needs maxGenes ≥ 1')
  if (config.workers !== undefined && (!positiveInt(config.workers) || config.workers > MAX_WORKERS)) throw bad('workers', `must be a whole number from 1 to ${MAX_WORKERS} (got ${String(config.workers)})`)
  if (config.backend !== undefined && !isBackendName(config.backend)) throw new AppError('backend.unknown', `Unknown backend "${String(config.backend)}".`)
}
