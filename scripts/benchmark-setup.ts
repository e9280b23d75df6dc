/**
 * What the train, predict and design benchmarks share: their app context in a cache folder of
 * their own, the synthetic screen generated and imported once, and a trained run reused across
 * invocations. (Not a benchmark itself: bin/bench.js runs only scripts/bench-<name>.ts.)
 */
import fs from 'node:fs'
import path from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { createAppContext, type AppContext } from '../src-main/app-context'
import type { BackendName } from '../src-main/ml/backend'
import { packageRoot } from '../src-main/runtime/paths'
import { synthesizeToFile } from '../src-main/synthetic/write'
import { trainSetupSchema, type RunListItem } from '../src-shared/contract'

export type BenchPreset = 'norman-like' | 'small' | 'replogle-like'

/** The command line's `--name value`, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback
}

export const round = (x: number, d = 2) => Number(x.toFixed(d))

/** The Reactome/NCBI folder the synthetic screen and the knowledge base are built from. */
export const knowledgeFolder = process.env.PERTURB_STUDIO_KNOWLEDGE ?? path.resolve(packageRoot(), '..', 'shared', 'knowledge')

export interface BenchSetup {
  home: string
  ctx: AppContext
  datasetId: number
  /** seconds spent generating and importing the screen; null when it was already there */
  prepareSeconds: number | null
}

/**
 * The app context of benchmark `name` in .cache/<name>/<preset>-<seed>, with the synthetic screen
 * imported (generated and imported on first use, the knowledge base built with it). `--lanes N`
 * on the command line sets how many prediction workers a large batch is split over.
 */
export async function benchDataset(name: string, preset: BenchPreset, seed: number, options: { predictBackend?: BackendName } = {}): Promise<BenchSetup> {
  // PERTURB_STUDIO_BENCH_CACHE moves the cache out of the checkout (replogle-like's is ~1.5 GB);
  // `--scale F` benchmarks a proportionally smaller screen of the preset (scaleParams)
  const scale = Number(arg('scale', '1'))
  const home = path.join(process.env.PERTURB_STUDIO_BENCH_CACHE ?? path.join(packageRoot(), '.cache'), name, `${preset}-${seed}${scale < 1 ? `-x${scale}` : ''}`)
  fs.mkdirSync(home, { recursive: true })
  const lanes = arg('lanes', '')
  const ctx = createAppContext({ home, transport: 'cli', log: () => undefined, predictBackend: options.predictBackend, predictWorkers: { lanes: lanes ? Number(lanes) : undefined } })
  const project = ctx.services.projects.list()[0] ?? ctx.services.projects.create('bench')
  const existing = ctx.services.datasets.list(project.id)[0]?.datasetId
  if (existing !== undefined) return { home, ctx, datasetId: existing, prepareSeconds: null }
  const t = performance.now()
  await ctx.services.knowledge.build({ folder: knowledgeFolder })
  const file = path.join(home, `synthetic-${preset}-${seed}.h5ad`)
  await synthesizeToFile({ preset, seed, out: file, knowledgeFolder, scale })
  const r = await ctx.router.dispatch('dataset:import', { projectId: project.id, path: file, conditionColumn: 'condition', controlLabels: ['ctrl'] })
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  fs.rmSync(file, { force: true })
  return { home, ctx, datasetId: (r.data as { datasetId: number }).datasetId, prepareSeconds: round((performance.now() - t) / 1000, 1) }
}

/**
 * A completed run of `model` on the dataset: run `runId` when given, else the one with the most
 * epochs among runs set up as the benchmark would train one (default split, this seed, the
 * uncertainty head when asked for), else one trained now through the training service
 * (`trainSeconds` says how long). A custom-split or other-seed run in the cache is never picked
 * up silently: it would measure something else.
 */
export async function benchRun(
  ctx: AppContext,
  datasetId: number,
  setup: { model: string; epochs: number; seed: number; backend: BackendName; uncertainty?: boolean; runId?: number },
): Promise<{ run: RunListItem; trainSeconds: number | null }> {
  const runs = () => ctx.services.training.list({ datasetId, includeBaselines: false })
  const existing =
    setup.runId !== undefined
      ? runs().find((r) => r.id === setup.runId)
      : runs()
          .filter((r) => r.model === setup.model && r.status === 'completed' && matchesSetup(ctx, r, setup))
          .sort((a, b) => b.epochsDone - a.epochsDone)[0]
  if (existing) return { run: existing, trainSeconds: null }
  const t = performance.now()
  const { runId: _ignored, ...start } = setup
  const r = await ctx.router.dispatch('train:start', { datasetId, ...start })
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  const done = await ctx.services.training.waitFor((r.data as { runId: number }).runId)
  if (done.status !== 'completed') throw new Error(`training ${done.status}: ${done.error}`)
  return { run: runs().find((x) => x.id === done.id)!, trainSeconds: round((performance.now() - t) / 1000, 1) }
}

/**
 * Whether a cached run was trained the way `benchRun` would train one now: the same setup with
 * today's defaults (a default changed since, e.g. the hidden size, means a new run), whatever its
 * epochs, name and backend.
 */
function matchesSetup(ctx: AppContext, run: RunListItem, setup: { model: string; seed: number; uncertainty?: boolean }): boolean {
  const comparable = ({ name: _name, backend: _backend, epochs: _epochs, ...rest }: Record<string, unknown>) => rest
  const wanted = trainSetupSchema.parse({ datasetId: run.datasetId, model: setup.model, seed: setup.seed, uncertainty: setup.uncertainty ?? false })
  return isDeepStrictEqual(comparable(ctx.services.training.get(run.id).config as unknown as Record<string, unknown>), comparable(wanted))
}
