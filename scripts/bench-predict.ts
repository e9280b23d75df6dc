/**
 * `node bin/bench.js predict [--preset norman-like|small] [--model gears] [--seed 1] [--backend wasm]
 *  [--conditions 1000] [--repeat 20]`: predicts with a trained run through the prediction service
 * (worker thread, as the app does) and prints one JSON line per figure:
 *  - `first-prediction`: building the run's data, starting the worker and loading the model;
 *  - `predict-one`: one condition after the model is loaded, the whole predict:run path (worker
 *    round trip, the observation and metrics of a measured condition, JSON-ready arrays), and the
 *    worker's share;
 *  - `predict-batch`: N gene pairs in one batched request.
 * Targets (issue 6, wasm, this machine, norman-like): one condition ≤ 300 ms, 1,000 ≤ 60 s.
 * The screen is generated, imported and a 1-epoch model trained once into .cache/bench-predict/.
 */
import fs from 'node:fs'
import path from 'node:path'
import { createAppContext } from '../src-main/app-context'
import { isBackendName } from '../src-main/ml/backend'
import { RunsRepo } from '../src-main/db/runs-repo'
import { PredictionsRepo } from '../src-main/db/predictions-repo'
import { packageRoot } from '../src-main/paths'
import { PredictEngine } from '../src-main/services/predictions/predict-engine'
import { PredictionService } from '../src-main/services/predictions/prediction-service'
import { synthesizeToFile } from '../src-main/services/synthetic/write'
import { CheckpointStore } from '../src-main/services/training/checkpoint-store'
import { trainingDataSource } from '../src-main/services/training/training-inputs'
import { APP_VERSION } from '../src-main/version'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback
}
const print = (figure: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'predict', ...figure }))
const round = (x: number, d = 2) => Number(x.toFixed(d))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const preset = arg('preset', 'norman-like') as 'norman-like' | 'small'
const model = arg('model', 'gears')
const seed = Number(arg('seed', '1'))
const backend = arg('backend', 'wasm')
const nBatch = Number(arg('conditions', '1000'))
const repeat = Number(arg('repeat', '20'))
if (!isBackendName(backend)) throw new Error(`unknown --backend ${backend}`)

// ── a trained run, prepared once ─────────────────────────────────────────────────────
const home = path.join(packageRoot(), '.cache', 'bench-predict', `${preset}-${seed}`)
const ctx = createAppContext({ home, transport: 'cli', log: () => undefined })
const knowledgeFolder = process.env.PERTURB_STUDIO_KNOWLEDGE ?? path.resolve(packageRoot(), '..', 'shared', 'knowledge')
const project = ctx.services.projects.list()[0] ?? ctx.services.projects.create('bench')
let datasetId = ctx.services.datasets.list(project.id)[0]?.datasetId
if (datasetId === undefined) {
  const t = performance.now()
  await ctx.services.knowledge.build({ folder: knowledgeFolder })
  const file = path.join(home, `synthetic-${preset}-${seed}.h5ad`)
  await synthesizeToFile({ preset, seed, out: file, knowledgeFolder })
  const r = await ctx.router.dispatch('dataset:import', { projectId: project.id, path: file, conditionColumn: 'condition', controlLabels: ['ctrl'] })
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  fs.rmSync(file, { force: true })
  datasetId = (r.data as { datasetId: number }).datasetId
  print({ figure: 'prepare-dataset', preset, seconds: round((performance.now() - t) / 1000, 1) })
}
let run = ctx.services.training.list({ datasetId, includeBaselines: false }).find((r) => r.model === model && r.status === 'completed')
if (!run) {
  const t = performance.now()
  const r = await ctx.router.dispatch('train:start', { datasetId, model, epochs: 1, seed, backend })
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  const done = await ctx.services.training.waitFor((r.data as { runId: number }).runId)
  if (done.status !== 'completed') throw new Error(`training ${done.status}: ${done.error}`)
  run = ctx.services.training.list({ datasetId, includeBaselines: false }).find((x) => x.id === done.id)!
  print({ figure: 'train', preset, model, epochs: 1, seconds: round((performance.now() - t) / 1000, 1) })
}
const runId = run.id

// The app's prediction service, with the backend forced for comparable figures.
const engine = new PredictEngine({ prefer: backend })
const runs = new RunsRepo(ctx.db)
const predictions = new PredictionService({
  runs,
  repo: new PredictionsRepo(ctx.db),
  checkpoints: new CheckpointStore(home, runs),
  datasets: { require: (id) => ctx.services.datasets.require(id) },
  buildData: (id, setup) => trainingDataSource(ctx.services)(id, setup),
  knowledgeBase: (release) => ctx.services.knowledge.base(release),
  engine,
  appVersion: APP_VERSION,
})

const detail = ctx.services.training.get(runId)
const testCondition = Object.keys(detail.test?.perCondition ?? {})[0]
if (!testCondition) throw new Error(`run ${runId} has no evaluated test condition`)
const testGenes = testCondition.split('+').filter((g) => g !== 'ctrl')
const options = { controlCells: 300, seed: 1 }

// ── first prediction: data, worker, model ────────────────────────────────────────────
let t = performance.now()
const first = await predictions.run({ runId, conditions: [testGenes], save: false, ...options })
print({ figure: 'first-prediction', preset, model, runId, ms: Math.round(performance.now() - t), backend: engine.backend?.backend, device: engine.backend?.device, genes: first.genes.length })

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
  backend: engine.backend?.backend,
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
  backend: engine.backend?.backend,
  target: '<= 60 s',
})
print({ figure: 'peak-rss', mb: Math.round(process.resourceUsage().maxRSS / 1024) })

await engine.close()
ctx.close()
