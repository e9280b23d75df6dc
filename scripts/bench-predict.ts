/**
 * `node bin/bench.js predict [--preset norman-like|small] [--model gears] [--seed 1] [--backend wasm]
 *  [--conditions 1000] [--repeat 20]`: predicts with a trained run through the prediction service
 * (worker thread, as the app does) and prints one JSON line per figure:
 *  - `first-prediction`: building the run's data, starting the worker and loading the model;
 *  - `predict-one`: one condition after the model is loaded, the whole predict:run path (worker
 *    round trip, the observation and metrics of a measured condition, JSON-ready arrays), and the
 *    worker's share;
 *  - `predict-batch`: N gene pairs in one batched request (split over one worker per core, at
 *    most 4, on wasm; `--lanes 1` for one worker).
 * Targets (issue 6, wasm, this machine, norman-like): one condition ≤ 300 ms, 1,000 ≤ 60 s.
 * The screen is generated, imported and a 1-epoch model trained once into .cache/bench-predict/.
 */
import { isBackendName } from '../src-main/ml/backend'
import { arg, benchDataset, benchRun, round, type BenchPreset } from './benchmark-setup'

const print = (figure: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'predict', ...figure }))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const preset = arg('preset', 'norman-like') as BenchPreset
const model = arg('model', 'gears')
const seed = Number(arg('seed', '1'))
const backend = arg('backend', 'wasm')
const nBatch = Number(arg('conditions', '1000'))
const repeat = Number(arg('repeat', '20'))
if (!isBackendName(backend)) throw new Error(`unknown --backend ${backend}`)

// ── a trained run, prepared once; the app's prediction service with the backend forced ───
const { ctx, datasetId, prepareSeconds } = await benchDataset('bench-predict', preset, seed, { predictBackend: backend })
if (prepareSeconds !== null) print({ figure: 'prepare-dataset', preset, seconds: prepareSeconds })
const { run, trainSeconds } = await benchRun(ctx, datasetId, { model, epochs: 1, seed, backend })
if (trainSeconds !== null) print({ figure: 'train', preset, model, epochs: 1, seconds: trainSeconds })
const runId = run.id
const predictions = ctx.services.predictions

const detail = ctx.services.training.get(runId)
const testCondition = Object.keys(detail.test?.perCondition ?? {})[0]
if (!testCondition) throw new Error(`run ${runId} has no evaluated test condition`)
const testGenes = testCondition.split('+').filter((g) => g !== 'ctrl')
const options = { controlCells: 300, seed: 1 }

// ── first prediction: data, worker, model ────────────────────────────────────────────
let t = performance.now()
const first = await predictions.run({ runId, conditions: [testGenes], save: false, ...options })
print({ figure: 'first-prediction', preset, model, runId, ms: Math.round(performance.now() - t), backend: predictions.backend?.backend, device: predictions.backend?.device, genes: first.genes.length })

// ── one condition after the model is loaded ─────────────────────────────────────────
const total: number[] = []
const worker: number[] = []
for (let i = 0; i < repeat; i++) {
  t = performance.now()
  const r = await predictions.run({ runId, conditions: [testGenes], save: false, ...options })
  total.push(performance.now() - t)
  if (!r.conditions[0].measured) throw new Error('expected a measured condition')
  const b = await predictions.predictMany(runId, [testGenes], options)
  worker.push(b.workerMs)
}
const mseDe = first.conditions[0].measured!.metrics.mse_de
print({
  figure: 'predict-one',
  preset,
  model,
  condition: testCondition,
  medianMs: Math.round(median(total)),
  maxMs: Math.round(Math.max(...total)),
  workerMedianMs: Math.round(median(worker)),
  mseDe: round(mseDe, 6),
  storedMseDe: round(detail.test!.perCondition[testCondition].mse_de, 6),
  repeat,
  backend: predictions.backend?.backend,
  target: '<= 300 ms',
})

// ── a batch of gene pairs ────────────────────────────────────────────────────────────
const genes = (await predictions.genes(runId)).genes
const sets: string[][] = []
for (let i = 0; sets.length < nBatch; i++) {
  const a = genes[i % genes.length].gene
  const b = genes[(i * 7919 + 13) % genes.length].gene
  if (a !== b) sets.push([a, b])
}
t = performance.now()
const cpu = process.cpuUsage()
const batch = await predictions.predictMany(runId, sets, options)
const seconds = (performance.now() - t) / 1000
const used = process.cpuUsage(cpu)
print({
  figure: 'predict-batch',
  preset,
  model,
  conditions: batch.sets.length,
  seconds: round(seconds, 1),
  conditionsPerSecond: round(batch.sets.length / seconds, 1),
  workerSeconds: round(batch.workerMs / 1000, 1),
  processCpuSeconds: round((used.user + used.system) / 1e6, 1),
  backend: predictions.backend?.backend,
  workers: predictions.workers,
  target: '<= 60 s',
})
print({ figure: 'peak-rss', mb: Math.round(process.resourceUsage().maxRSS / 1024) })

ctx.close()
