/**
 * `npm run bench -- import [--preset norman-like|small] [--seed S]`: generates the synthetic
 * screen, then imports it in a fresh process (so its peak memory is the import's own) the way
 * a user would: read the .h5ad, map conditions, normalise, select genes, DE, store.
 * Targets (issue 3): ≤ 30 s wall and ≤ 3 GB peak RSS for norman-like on a 2-core machine.
 * Prints one JSON line per figure.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createAppContext } from '../src-main/app-context'
import { packageRoot } from '../src-main/paths'
import { synthesizeToFile } from '../src-main/services/synthetic/write'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}
const print = (figure: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'import', ...figure }))
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024)

if (arg('phase', 'all') === 'import') {
  // Child: one import, timed from a cold start of the core.
  const file = arg('file', '')
  const home = arg('home', '')
  const started = performance.now()
  const ctx = createAppContext({ home, transport: 'cli', log: () => undefined })
  const project = ctx.services.projects.create('bench')
  const r = await ctx.router.dispatch('dataset:import', { projectId: project.id, path: file, conditionColumn: 'condition', controlLabels: ['ctrl'] })
  const seconds = (performance.now() - started) / 1000
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  const summary = r.data as { datasetId: number; cells: number; genes: number; conditions: number }
  const loadStart = performance.now()
  await ctx.services.datasets.load(summary.datasetId)
  const loadMs = performance.now() - loadStart
  print({ figure: 'import', seconds: Number(seconds.toFixed(2)), cells: summary.cells, genes: summary.genes, conditions: summary.conditions, target: '<= 30 s' })
  print({ figure: 'import-peak-rss', mb: peakRssMb(), target: '<= 3000 MB' })
  print({ figure: 'load-prepared', ms: Math.round(loadMs) })
  ctx.close()
} else {
  const preset = arg('preset', 'norman-like') as 'norman-like' | 'small'
  const seed = Number(arg('seed', '1'))
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-bench-import-'))
  const file = path.join(home, `synthetic-${preset}-${seed}.h5ad`)
  const knowledgeFolder = process.env.PERTURB_STUDIO_KNOWLEDGE ?? path.resolve(packageRoot(), '..', 'shared', 'knowledge')
  const gen = await synthesizeToFile({ preset, seed, out: file, knowledgeFolder })
  print({ figure: 'synth', preset, seconds: gen.seconds, cells: gen.cells, genes: gen.genes, fileMb: Math.round(fs.statSync(file).size / 1e6) })
  const child = spawnSync(process.execPath, [path.join(packageRoot(), 'bin', 'bench.js'), 'import', '--phase', 'import', '--file', file, '--home', path.join(home, 'data')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  fs.rmSync(home, { recursive: true, force: true })
  process.exitCode = child.status ?? 1
}
