/**
 * `node bin/bench.js train [--preset norman-like|small] [--model biodsnn] [--epochs 1] [--seed 1]
 *  [--cells-per-condition all] [--batch-conditions N] [--backend wasm]`: trains on the synthetic
 * screen in this process (the engine alone, no worker) and prints one JSON line per figure:
 * seconds per epoch over all training cells (wall and this process's CPU seconds, so a busy
 * machine can be told apart), conditions/s, cells/s, peak RSS, backend; then the latency of one
 * condition's prediction after loading the saved weights.
 * Targets (issue 5, wasm, 2-core machine, norman-like): BioDSNN ≤ 120 s/epoch, GEARS ≤ 60 s,
 * peak RSS ≤ 6 GB, one prediction ≤ 300 ms.
 * The synthetic screen is generated and imported once into .cache/bench-train/<preset>-<seed>.
 */
import { initBackend, isBackendName } from '../src-main/ml/backend'
import { defaultTrainConfig, TRAINABLE_NAMES } from '../src-main/ml/config'
import type { Trainable, TrainProgress } from '../src-main/ml/engine-types'
import { loadModel, predict } from '../src-main/ml/predict'
import { train } from '../src-main/ml/trainer'
import { buildTrainingData } from '../src-main/services/training/training-data'
import { arg, benchDataset, round, type BenchPreset } from './benchmark-setup'

const print = (figure: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'train', ...figure }))
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024)
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since)
  return (u.user + u.system) / 1e6
}

const preset = arg('preset', 'norman-like') as BenchPreset
const model = arg('model', 'biodsnn') as Trainable
const epochs = Number(arg('epochs', '1'))
const seed = Number(arg('seed', '1'))
const cells = arg('cells-per-condition', 'all')
const backendName = arg('backend', 'wasm')
if (!TRAINABLE_NAMES.includes(model)) throw new Error(`--model must be one of ${TRAINABLE_NAMES.join(', ')}`)
if (!isBackendName(backendName)) throw new Error(`unknown --backend ${backendName}`)

// ── the dataset, prepared once ───────────────────────────────────────────────────────
const { ctx, datasetId, prepareSeconds } = await benchDataset('bench-train', preset, seed)
if (prepareSeconds !== null) print({ figure: 'prepare-dataset', preset, seconds: prepareSeconds })
const prepared = await ctx.services.datasets.load(datasetId)
const kb = await ctx.services.knowledge.base()
const data = buildTrainingData(prepared, kb, { datasetId })

// ── training ─────────────────────────────────────────────────────────────────────────
const backend = await initBackend({ prefer: backendName })
const config = defaultTrainConfig(model, {
  epochs,
  seed,
  cellsPerCondition: cells === 'all' ? 'all' : Number(cells),
  ...(process.argv.includes('--batch-conditions') ? { batchConditions: Number(arg('batch-conditions', '4')) } : {}),
})
let cpu = process.cpuUsage()
const runStart = performance.now()
let lastProgress: TrainProgress | undefined
const result = await train(data, config, {
  onProgress: (p) => {
    lastProgress = p
  },
  onEpoch: (report) => {
    print({
      figure: 'epoch',
      preset,
      model,
      epoch: report.epoch,
      seconds: round(report.seconds, 1),
      cpuSeconds: round(cpuSeconds(cpu), 1),
      conditionsPerSecond: round(lastProgress?.conditionsPerSecond ?? 0),
      cellsPerSecond: Math.round(lastProgress?.cellsPerSecond ?? 0),
      steps: lastProgress?.stepsPerEpoch,
      cellsPerCondition: config.cellsPerCondition,
      batchConditions: config.batchConditions,
      valMseDe: round(report.val.mse_de, 4),
      backend: backend.backend,
      target: model === 'gears' ? '<= 60 s' : model.startsWith('biodsnn') ? '<= 120 s' : undefined,
    })
    cpu = process.cpuUsage()
  },
})
print({ figure: 'run', model, seconds: round((performance.now() - runStart) / 1000, 1), testMseDe: round(result.test.overall.mse_de, 4), testPearsonDelta: round(result.test.overall.pearson_delta, 4) })
print({ figure: 'peak-rss', mb: peakRssMb(), target: '<= 6000 MB' })

// ── one prediction after load ────────────────────────────────────────────────────────
if (result.params || result.fitted) {
  const loadStart = performance.now()
  const loaded = loadModel({ params: result.params, fitted: result.fitted }, config, data)
  const loadMs = performance.now() - loadStart
  const target = data.conditions.find((c) => result.split.test.includes(c.condition) && !result.test.excluded?.[c.condition])!.genes
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const t = performance.now()
    predict(loaded, [target])
    times.push(performance.now() - t)
  }
  print({ figure: 'predict-one', model, loadMs: Math.round(loadMs), firstMs: Math.round(times[0]), medianMs: Math.round([...times].sort((a, b) => a - b)[2]), condition: target.join('+'), target: '<= 300 ms' })
  loaded.dispose()
}
ctx.close()
