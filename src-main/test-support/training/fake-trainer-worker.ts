/**
 * A training worker whose trainer is scripted, so the worker protocol, queue, cancel, crash and
 * resume paths are exercised in a real worker thread in well under a second per run. The test
 * chooses the step time, the validation series and where the worker dies (fake-trainer.ts).
 */
import type { EpochReport, Metrics, TrainConfig, TrainingData, TrainResult } from '../../ml/engine-types'
import { BASELINE_NAMES } from '../../ml/engine-types'
import type { ParamsArtifact } from '../../ml/serialize'
import { describeBackend } from '../../ml/backend-info'
import { runWorker } from '../../ml/worker-runtime'
import { fakeTrainerOptions } from './fake-trainer'

const options = fakeTrainerOptions(process.argv)
const stepMs = options.stepMs ?? 5
const valSeries = options.val ?? [0.5, 0.3, 0.4, 0.35, 0.33, 0.32, 0.31, 0.3]

/** Dies as the test asked, once a progress report reaches the fault's epoch and step. */
function faultAt(epoch: number, step: number): void {
  const f = options.fault
  if (!f || epoch !== f.epoch || step < f.step) return
  if (f.kind === 'exit') process.exit(70)
  // Thrown outside any promise chain: the worker's 'error' event, as an uncaught native error would be.
  setImmediate(() => {
    throw new Error(`injected worker crash at epoch ${epoch}, step ${step}`)
  })
}

const metrics = (mse_de: number): Metrics => ({
  mse: mse_de / 2,
  pearson: 0.9,
  mse_de,
  pearson_de: 0.5,
  pearson_delta: 1 - mse_de,
  pearson_delta_de: 0.4,
  pearson_delta_centroid: 0.3,
  frac_opposite_direction_top20_non_dropout: 0.1,
  mse_top20_de_non_dropout: mse_de,
  frac_in_range_45_55: 0.2,
})

/** `hidden × 1000` float32 weights, all equal to the epoch: big enough to go to a file at hidden ≥ 128. */
function params(config: TrainConfig, epoch: number, resumedFrom: number | null): ParamsArtifact {
  const n = config.hidden * 1000
  const values = new Float32Array(n).fill(epoch)
  return {
    manifest: { format: 'perturb-studio.params', version: 1, byteLength: n * 4, entries: [{ name: 'w', shape: [n], dtype: 'float32', offset: 0, byteLength: n * 4, trainable: true }], meta: { epoch, resumedFrom } },
    data: new Uint8Array(values.buffer),
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

runWorker(async (data: TrainingData, config, callbacks, resume): Promise<TrainResult> => {
  const backend = await describeBackend()
  const conditions = data.conditions.map((c) => c.condition)
  const split = { config: config.split, train: conditions.slice(0, -2), val: conditions.slice(-2, -1), test: conditions.slice(-1), testGroups: { [conditions[conditions.length - 1]]: 'unseen_single' as const }, seenGenes: [] }
  const test = (mse_de: number) => ({ overall: { ...metrics(mse_de), n: 1, mse_de_norm: mse_de }, groups: { unseen_single: { ...metrics(mse_de), n: 1, mse_de_norm: mse_de } }, perCondition: {} })
  if ((BASELINE_NAMES as readonly string[]).includes(config.model)) {
    const offset = BASELINE_NAMES.indexOf(config.model as (typeof BASELINE_NAMES)[number])
    return { backend, split, bestEpoch: 0, epochs: [], test: test(0.6 + offset / 10), fitted: { delta: new Float32Array(data.genes.length).fill(offset) } }
  }
  const epochs: EpochReport[] = [...(resume?.epochs ?? [])]
  let best = resume?.bestEpoch ?? 0
  // The resumed best must come with its weights when it is not the last checkpoint.
  if (resume && resume.bestEpoch !== resume.fromEpoch && !resume.bestParams) throw new Error('resume without the best epoch\'s weights')
  let bestVal = epochs.find((e) => e.epoch === best)?.val.mse_de ?? Infinity
  const stepsPerEpoch = Math.max(1, Math.ceil(data.conditions.length / config.batchConditions))
  const start = (resume?.fromEpoch ?? 0) + 1
  for (let epoch = start; epoch <= config.epochs; epoch++) {
    const t0 = Date.now()
    for (let step = 1; step <= stepsPerEpoch; step++) {
      await sleep(stepMs)
      callbacks.onProgress?.({ epoch, epochs: config.epochs, step, stepsPerEpoch, losses: { total: 1 / (epoch + step) }, conditionsPerSecond: 100, cellsPerSecond: 1000, etaSeconds: 1, lr: config.lr, memory: { rssMb: 100 } })
      faultAt(epoch, step)
      if (callbacks.shouldStop?.()) return { backend, split, bestEpoch: best, epochs, test: test(bestVal), params: best ? params(config, best, resume?.fromEpoch ?? null) : undefined }
    }
    if (resume && epoch === start && (resume.optimizer?.manifest.meta as { adam?: number } | undefined)?.adam !== resume.fromEpoch) throw new Error('resume without the optimizer state')
    const v = valSeries[(epoch - 1) % valSeries.length]
    const report: EpochReport = { epoch, seconds: (Date.now() - t0) / 1000, losses: { total: 1 / epoch, autofocus: 0.8 / epoch }, val: metrics(v), lr: config.lr / epoch }
    epochs.push(report)
    const isBest = v < bestVal
    if (isBest) {
      best = epoch
      bestVal = v
    }
    await callbacks.onEpoch?.(report, params(config, epoch, resume?.fromEpoch ?? null), isBest, { ...params(config, epoch, null), manifest: { ...params(config, epoch, null).manifest, meta: { adam: epoch } } })
  }
  return { backend, split, bestEpoch: best, epochs, test: test(bestVal), params: params(config, best, resume?.fromEpoch ?? null) }
})
