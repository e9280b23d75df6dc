import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TRAIN_BASELINES, type RunVerdict } from '../../../src-shared/contract'
import { openDatabase } from '../../db/database'
import { DatasetsRepo } from '../../db/datasets-repo'
import { SHARED_DIR, tempHome } from '../../test-support/temp-home'
import { oneJson as oneJsonOf, runCliCaptured } from '../../test-support/cli'

let home: ReturnType<typeof tempHome>
let small: number
let single: number
let noControl: number

const cli = (args: string[]) => runCliCaptured(['--home', home.dir, ...args])

const oneJson = <T = Record<string, unknown>>(stdout: string) => oneJsonOf<T>(stdout)

async function json<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const r = await cli([...args, '--json'])
  expect(r.code, r.stdout + r.stderr).toBe(0)
  return oneJson<T>(r.stdout)
}

async function failure(args: string[]) {
  const r = await cli([...args, '--json'])
  return { code: r.code, error: oneJson<{ error: { code: string; message: string } }>(r.stdout).error }
}

beforeAll(async () => {
  home = tempHome('ps-cli-train-')
  const h5ad = path.join(home.dir, 'small.h5ad')
  await json(['synth', '--preset', 'small', '--seed', '1', '--out', h5ad, '--knowledge', path.join(SHARED_DIR, 'knowledge')])
  small = (await json<{ datasetId: number }>(['import', h5ad, '--condition-column', 'condition', '--control-label', 'ctrl'])).datasetId
  // ctrl and one perturbation: nothing to hold out.
  const genes = ['STAT1', 'IRF1', 'JAK2', 'MYC']
  const rows = Array.from({ length: 24 }, (_, i) => `c${i},${genes.map((_, g) => (i * 7 + g * 3) % 5).join(',')}`)
  fs.writeFileSync(path.join(home.dir, 'one.csv'), `cell,${genes.join(',')}\n${rows.join('\n')}\n`)
  fs.writeFileSync(path.join(home.dir, 'one-meta.csv'), `cell,condition\n${rows.map((r, i) => `${r.split(',')[0]},${i < 12 ? 'ctrl' : 'STAT1'}`).join('\n')}\n`)
  single = (await json<{ datasetId: number }>(['import', path.join(home.dir, 'one.csv'), '--metadata', path.join(home.dir, 'one-meta.csv'), '--barcode-column', 'cell', '--condition-column', 'condition', '--control-label', 'ctrl'])).datasetId
  // The importer refuses files without control cells; an older or hand-made dataset record may still lack them.
  const db = openDatabase(path.join(home.dir, 'perturb-studio.sqlite'))
  const summary = JSON.parse(db.prepare('SELECT summary_json FROM datasets WHERE id = ?').pluck().get(small) as string)
  noControl = new DatasetsRepo(db).insert({ projectId: 1, name: 'no-ctrl', sourcePath: '/x.h5ad', format: 'h5ad', storageDir: 'datasets/none', summary: { ...summary, controlCells: 0 } }).summary.datasetId
  db.close()
}, 120_000)

afterAll(() => home?.cleanup())

describe('perturb-studio train / runs', () => {
  it('train --json waits for the run and prints one document: backend, epochs and the test table by group, with the baselines', async () => {
    const r = await json<{
      runId: number
      status: string
      backend: string
      epochs: unknown[]
      split: { kind: string; seed: number; train: number; test: number }
      test: { overall: Record<string, number>; groups: Record<string, Record<string, number>> }
      baselines: Record<string, { runId: number; test: { overall: Record<string, number> } }>
    }>(['train', '--dataset', String(small), '--model', 'train_mean'])
    expect(r.status).toBe('completed')
    expect(['wasm', 'cpu', 'tfjs-node', 'tfjs-node-gpu']).toContain(r.backend)
    expect(r.epochs).toEqual([])
    expect(r.split).toMatchObject({ kind: 'simulation', seed: 1 })
    expect(r.split.train).toBeGreaterThan(0)
    expect(Object.keys(r.test.groups).sort()).toEqual(['combo_seen0', 'combo_seen1', 'combo_seen2', 'unseen_single'])
    expect(Object.keys(r.test.overall)).toEqual(expect.arrayContaining(['mse_de', 'pearson_delta', 'mse_de_norm', 'n', 'frac_in_range_45_55']))
    expect(r.test.overall.n).toBe(r.split.test)
    expect(Object.keys(r.baselines).sort()).toEqual(TRAIN_BASELINES.filter((b) => b !== 'train_mean').sort())
    // mse_de is normalised by no_perturb's.
    expect(r.test.overall.mse_de_norm).toBeCloseTo(r.test.overall.mse_de / r.baselines.no_perturb.test.overall.mse_de, 6)
  })

  it('train --model gears --epochs 2 --json reports each epoch: loss, validation metrics, seconds; the best epoch is kept', async () => {
    const r = await json<{ runId: number; bestEpoch: number; epochs: { epoch: number; loss: number; val: Record<string, number>; seconds: number }[]; test: { overall: { n: number } } }>([
      'train', '--dataset', String(small), '--model', 'gears', '--epochs', '2', '--batch-conditions', '4', '--cells-per-condition', '16', '--weight-decay', '0', '--prior', 'none',
    ])
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2])
    for (const e of r.epochs) {
      expect(e.loss).toBeGreaterThan(0)
      expect(e.seconds).toBeGreaterThan(0)
      expect(Object.keys(e.val)).toEqual(expect.arrayContaining(['mse_de', 'pearson_delta']))
    }
    expect([1, 2]).toContain(r.bestEpoch)
    expect(r.test.overall.n).toBeGreaterThan(0)
    const shown = await json<{ checkpoints: { epoch: number; isBest: boolean }[]; config: { cellsPerCondition: number; weightDecay: number } }>(['run', 'show', String(r.runId)])
    expect(shown.checkpoints.find((c) => c.isBest)?.epoch).toBe(r.bestEpoch)
    expect(shown.config.cellsPerCondition).toBe(16)
    expect(shown.config.weightDecay).toBe(0)
    await json(['run', 'delete', String(r.runId)])
  })

  it('runs --dataset --json lists the run and its baselines; run compare puts them in one table', async () => {
    const list = await json<{ id: number; model: string; kind: string; status: string }[]>(['runs', '--dataset', String(small)])
    expect(list.map((r) => r.model).sort()).toEqual([...TRAIN_BASELINES].sort())
    expect(list.every((r) => r.status === 'completed' && r.kind === 'baseline')).toBe(true)
    expect(await json(['runs', '--dataset', String(small), '--no-baselines'])).toEqual([])
    const trainMean = list.find((r) => r.model === 'train_mean')!
    const cmp = await json<{ runs: { model: string; added: boolean }[]; rows: { group: string }[] }>(['run', 'compare', String(trainMean.id)])
    expect(cmp.runs.map((r) => r.model).sort()).toEqual([...TRAIN_BASELINES].sort())
    expect(cmp.rows.filter((row) => row.group === 'overall')).toHaveLength(TRAIN_BASELINES.length)
  })

  it('a default (residual) gears run reports its verdict against the best baseline and how cross-validation chose its epoch', async () => {
    const r = await json<{ runId: number; bestEpoch: number; verdict: RunVerdict }>(['train', '--dataset', String(small), '--model', 'gears', '--epochs', '1', '--batch-conditions', '4', '--cells-per-condition', '8'])
    const overall = r.verdict.groups.overall!
    expect(TRAIN_BASELINES).toContain(overall.best_baseline)
    expect(['better', 'no-better', 'worse']).toContain(overall.call)
    expect(overall.lo).toBeLessThanOrEqual(overall.hi)
    expect(overall.text).toMatch(/better|worse|no better|too few/)
    expect(r.verdict.vsPrior?.overall?.best_baseline).toBe('knowledge_prior')
    const shown = await json<{ selection: { kind: string; epoch: number; folds: string[][] }; verdict: RunVerdict }>(['run', 'show', String(r.runId)])
    expect(shown.selection.kind).toBe('cross-validation')
    expect(shown.selection.epoch).toBe(r.bestEpoch)
    expect(shown.verdict.addsNothing).toBe(r.bestEpoch === 0 || (shown.verdict.alpha === 0 && shown.verdict.alphaPairs === 0))
    const human = await cli(['run', 'show', String(r.runId)])
    expect(human.stdout).toMatch(/Verdict/)
    await json(['run', 'delete', String(r.runId)])
  })

  it('refuses epochs 0, an unknown model, and bad numbers, before queueing anything', async () => {
    const before = (await json<unknown[]>(['runs'])).length
    const zero = await failure(['train', '--dataset', String(small), '--model', 'gears', '--epochs', '0'])
    expect(zero).toMatchObject({ code: 1, error: { code: 'contract.invalid-input', message: expect.stringMatching(/Epochs must be at least 1/) } })
    const unknown = await failure(['train', '--dataset', String(small), '--model', 'gpt'])
    expect(unknown).toMatchObject({ code: 1, error: { code: 'contract.invalid-input', message: expect.stringMatching(/Unknown model "gpt"; choose one of gears, biodsnn/) } })
    const nan = await failure(['train', '--dataset', String(small), '--model', 'gears', '--epochs', 'many'])
    expect(nan).toMatchObject({ code: 2, error: { code: 'cli.usage', message: expect.stringMatching(/--epochs must be a whole number/) } })
    expect((await json<unknown[]>(['runs'])).length).toBe(before)
  })

  it('refuses a dataset with a single condition or without control cells, and an unknown dataset', async () => {
    expect(await failure(['train', '--dataset', String(single), '--model', 'gears'])).toMatchObject({ code: 1, error: { code: 'train.too-few-conditions', message: expect.stringMatching(/has 1 perturbed condition; training needs at least two/) } })
    expect(await failure(['train', '--dataset', String(noControl), '--model', 'gears'])).toMatchObject({ code: 1, error: { code: 'train.no-control-cells' } })
    expect(await failure(['train', '--dataset', '999', '--model', 'gears'])).toMatchObject({ code: 1, error: { code: 'dataset.not-found' } })
    expect(await failure(['run', 'show', '999'])).toMatchObject({ code: 1, error: { code: 'run.not-found' } })
  })

  it('backends --json says what is available and why not', async () => {
    const list = await json<{ backends: { backend: string; available: boolean; reason: string | null }[]; auto: string }>(['backends'])
    expect(list.backends.map((b) => b.backend)).toEqual(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'])
    expect(list.backends.find((b) => b.backend === 'cpu')?.available).toBe(true)
    // Whether the WebGPU adapter is a GPU is only known once a worker has looked: never the guessed default.
    expect(list.auto).not.toBe('webgpu')
    for (const b of list.backends.filter((x) => !x.available)) expect(b.reason).toMatch(/\w/)
  })
})
