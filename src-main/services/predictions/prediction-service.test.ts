import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExportSaved, PredictGenes, PredictionListItem, PredictResult, RunDetail } from '../../../src-shared/contract'
import { parseCsv } from '../../../src-shared/exports/csv'
import { PREDICTION_COLUMNS } from '../../../src-shared/exports/prediction-table'
import { RunsRepo } from '../../db/runs-repo'
import { decodePng, pixelStats } from '../../test-support/png-check'
import { call, failure } from '../../test-support/app'
import { predictFixture, type PredictFixture } from '../../test-support/prediction-fixture'
import { MAX_SET_SIZE } from './gene-sets'
import { maxAbsDiff } from '../../test-support/tensors'
import { createAppContext } from '../../app-context'

let fx: PredictFixture
let detail: RunDetail
/** test conditions the run evaluated */
let evaluated: string[]

beforeAll(async () => {
  fx = await predictFixture('ps-predict-')
  detail = await call<RunDetail>(fx.ctx, 'run:get', { id: fx.runId })
  evaluated = Object.keys(detail.test!.perCondition)
}, 180_000)

afterAll(() => fx?.close())

const predict = (input: Record<string, unknown>) => call<PredictResult>(fx.ctx, 'predict:run', { runId: fx.runId, ...input })

describe('predict:run', () => {
  it('reproduces the per-condition metrics the run stored for its measured test conditions (same mse_de)', async () => {
    expect(evaluated.length).toBeGreaterThan(3)
    const r = await predict({ conditions: evaluated, save: false })
    expect(r.base).toBe('control-mean')
    expect(r.conditions.map((c) => c.condition)).toEqual(evaluated)
    for (const c of r.conditions) {
      const stored = detail.test!.perCondition[c.condition]
      expect(c.measured?.subset).toBe('test')
      expect(c.measured?.testGroup).toBe(detail.splitDetail!.testGroups[c.condition])
      expect(c.measured!.storedMetrics).toEqual(stored)
      expect(c.measured!.metrics.mse_de).toBeCloseTo(stored.mse_de, 6)
      expect(c.measured!.metrics.pearson_delta).toBeCloseTo(stored.pearson_delta, 5)
    }
  })

  it('returns the mean and change over control for every gene, the uncertainty, and the observed DE genes per cell', async () => {
    const r = await predict({ conditions: [evaluated[0]], save: false })
    const c = r.conditions[0]
    const G = r.genes.length
    expect(G).toBe(300)
    expect(c.mean).toHaveLength(G)
    for (let g = 0; g < G; g++) expect(c.change[g]).toBeCloseTo(c.mean[g] - r.controlMean[g], 5)
    expect(c.sd).toHaveLength(G)
    expect(c.sd!.every((s) => s > 0 && Number.isFinite(s))).toBe(true)
    const m = c.measured!
    expect(m.de.genes).toHaveLength(20)
    expect(m.de.index.map((g) => r.genes[g])).toEqual(m.de.genes)
    expect(m.de.cellChanges.every((cells) => cells.length === m.cells)).toBe(true)
    // The observed mean change is the mean of the per-cell changes.
    const g0 = m.de.index[0]
    const mean = m.de.cellChanges[0].reduce((a, b) => a + b, 0) / m.cells
    expect(mean).toBeCloseTo(m.observedChange[g0], 4)
    // Provenance for captions and CSV headers.
    expect(r).toMatchObject({ runId: fx.runId, model: 'gears', datasetId: fx.datasetId, datasetName: 'small', trainingSeed: 1, bestEpoch: expect.any(Number) })
    expect(r.knowledgeRelease).toMatch(/\S/)
  })

  it('flags each gene of the set by how the run knows it, and accepts any case and either order', async () => {
    const split = detail.splitDetail!
    const genesOf = (name: string) => name.split('+').filter((g) => g !== 'ctrl')
    const singles = new Set(split.train.filter((c) => genesOf(c).length === 1).flatMap(genesOf))
    const inCombos = split.train.filter((c) => genesOf(c).length === 2).flatMap(genesOf)
    const seenCombo = inCombos.find((g) => !singles.has(g))
    const single = [...singles][0]
    const genes = await call<PredictGenes>(fx.ctx, 'predict:genes', { runId: fx.runId })
    const unseen = genes.genes.find((g) => g.status === 'unseen-in-knowledge' && g.gene !== single)!.gene
    const set = seenCombo ? [unseen.toLowerCase(), single, seenCombo] : [unseen.toLowerCase(), single]
    const r = await predict({ conditions: [set.slice(0, 2).reverse(), ...(seenCombo ? [[seenCombo]] : [])], save: false })
    expect(r.conditions[0].condition).toBe([single, unseen].sort().join('+'))
    expect(Object.fromEntries(r.conditions[0].flags.map((f) => [f.gene, f.status]))).toEqual({ [single]: 'seen-single', [unseen]: 'unseen-in-knowledge' })
    if (seenCombo) expect(r.conditions[1].flags).toEqual([{ gene: seenCombo, status: 'seen-combo' }])
    expect(r.conditions[0].measured).toBeNull()
    // The unseen gene says what of its GO embedding the run trained on; a seen gene needs no such note.
    const placed = r.conditions[0].flags.find((f) => f.gene === unseen)!.placedBy!
    expect(placed.share).toBeGreaterThanOrEqual(0)
    expect(placed.share).toBeLessThan(1)
    expect(placed.anchors.every((a) => singles.has(a.gene) || inCombos.includes(a.gene))).toBe(true)
    expect(r.conditions[0].flags.find((f) => f.gene === single)!.placedBy).toBeUndefined()
  })

  it('keeps the arrays it still reads when the model goes to the worker: an unseen gene predicted after a seen one', async () => {
    // A fresh app: the first prediction (here, of a seen gene) builds the model in the worker, and
    // the unseen gene's placement is read from the GO graph only afterwards.
    const ctx = createAppContext({ home: fx.home.dir, transport: 'cli', log: () => undefined })
    try {
      const genes = await call<PredictGenes>(ctx, 'predict:genes', { runId: fx.runId })
      const seen = genes.genes.find((g) => g.status === 'seen-single')!.gene
      const unseen = genes.genes.find((g) => g.status === 'unseen-in-knowledge')!.gene
      await call<PredictResult>(ctx, 'predict:run', { runId: fx.runId, conditions: [[seen]], save: false })
      const later = await call<PredictResult>(ctx, 'predict:run', { runId: fx.runId, conditions: [[unseen]], save: false })
      const before = await predict({ conditions: [[unseen]], save: false })
      expect(later.conditions[0].flags[0].placedBy).toEqual(before.conditions[0].flags[0].placedBy)
      expect(later.conditions[0].mean).toEqual(before.conditions[0].mean)
    } finally {
      ctx.close()
    }
  })

  it('splits a large batch over several workers with the same result as one worker', async () => {
    const genes = await call<PredictGenes>(fx.ctx, 'predict:genes', { runId: fx.runId })
    // 50 sets are 7 forward batches of 8: three workers take 3, 2 and 2 of them.
    const sets = genes.genes.slice(0, 50).map((g) => [g.gene])
    const apps = [1, 3].map((lanes) => createAppContext({ home: fx.home.dir, transport: 'cli', log: () => undefined, predictWorkers: { lanes, idleReleaseMs: 300 } }))
    const [single, split] = apps.map((ctx) => ctx.services.predictions)
    const predict = (service: typeof single) => service.predictMany(fx.runId, sets, { controlCells: 300, seed: 1 })
    try {
      const one = await predict(single)
      expect(single.workers).toBe(1)
      // Read right after the batch: the extra workers stop once batches stop (here after 300 ms).
      const three = await predict(split)
      expect(split.workers).toBe(3)
      expect(three.sets.map((s) => s.condition)).toEqual(one.sets.map((s) => s.condition))
      expect(three.mean).toEqual(one.mean)
      expect(three.variance).toEqual(one.variance)
      expect(three.mean.length).toBe(50 * one.source.genes.length)
      await new Promise((r) => setTimeout(r, 1000))
      expect(split.workers).toBe(1)
      // and start again for the next one
      const again = await predict(split)
      expect(split.workers).toBe(3)
      expect(again.mean).toEqual(one.mean)
    } finally {
      for (const ctx of apps) ctx.close()
    }
  })

  it('lists the perturbable genes with status and Reactome pathway count for the picker', async () => {
    const g = await call<PredictGenes>(fx.ctx, 'predict:genes', { runId: fx.runId })
    expect(g.maxSetSize).toBe(MAX_SET_SIZE)
    expect(g.measuredSetSize).toBe(2)
    expect(g.genes.length).toBeGreaterThan(1000)
    const statuses = new Set(g.genes.map((x) => x.status))
    expect(statuses).toEqual(new Set(['seen-single', 'seen-combo', 'unseen-in-knowledge'].filter((s) => statuses.has(s as never))))
    expect(statuses.has('seen-single') && statuses.has('unseen-in-knowledge')).toBe(true)
    expect(g.genes.some((x) => (x.pathways ?? 0) > 0)).toBe(true)
    expect(g.genes.filter((x) => x.status !== 'unseen-in-knowledge').every((x) => x.measured)).toBe(true)
  })

  it('predicts a batch in one request with the same values as one condition at a time', async () => {
    const genes = (await call<PredictGenes>(fx.ctx, 'predict:genes', { runId: fx.runId })).genes.map((g) => g.gene)
    const sets = Array.from({ length: 40 }, (_, i) => [genes[i], genes[i + 40]])
    const batch = await fx.ctx.services.predictions.predictMany(fx.runId, sets, { controlCells: 300, seed: 1 })
    const G = batch.source.genes.length
    expect(batch.mean).toHaveLength(40 * G)
    for (const i of [0, 17, 39]) {
      const one = await fx.ctx.services.predictions.predictMany(fx.runId, [sets[i]], { controlCells: 300, seed: 1 })
      for (let g = 0; g < G; g += 7) expect(batch.mean[i * G + g]).toBeCloseTo(one.mean[g], 5)
    }
    // GEARS adds Δ to the control mean itself: its change against its own base is the change.
    for (let k = 0; k < batch.change.length; k += 13) expect(batch.modelChange[k]).toBeCloseTo(batch.change[k], 6)
  })
})

describe('BioDSNN (Δ added to VAE-regenerated control cells)', () => {
  it('averages sampled control cells (seeded); the defaults reproduce the stored mse_de', async () => {
    const { runId } = await call<{ runId: number }>(fx.ctx, 'train:start', { datasetId: fx.datasetId, model: 'biodsnn', epochs: 1, prior: 'none' })
    expect((await fx.ctx.services.training.waitFor(runId)).status).toBe('completed')
    const bio = await call<RunDetail>(fx.ctx, 'run:get', { id: runId })
    const [name] = Object.keys(bio.test!.perCondition)
    const run = (controlCells: number | 'all', seed: number) => call<PredictResult>(fx.ctx, 'predict:run', { runId, conditions: [name], controlCells, seed, save: false })
    const all = await run('all', 1)
    expect(all).toMatchObject({ base: 'sampled-controls', controlCells: 'all', controlCellsUsed: 1000 })
    // The run evaluated with the prediction defaults (300 cells, seed 1), as a user predicts.
    const byDefault = await call<PredictResult>(fx.ctx, 'predict:run', { runId, conditions: [name], save: false })
    expect(byDefault).toMatchObject({ controlCells: 300, controlCellsUsed: 300 })
    expect(byDefault.conditions[0].measured!.metrics.mse_de).toBeCloseTo(bio.test!.perCondition[name].mse_de, 6)
    const a = await run(300, 1)
    const b = await run(300, 1)
    const c = await run(300, 2)
    expect(a.controlCellsUsed).toBe(300)
    expect(b.conditions[0].mean).toEqual(a.conditions[0].mean)
    expect(c.conditions[0].mean).not.toEqual(a.conditions[0].mean)
    expect(a.conditions[0].mean).not.toEqual(all.conditions[0].mean)
    // The regenerated control mean is offset from the observed one; the change the design tools
    // compare (modelChange) is taken against the model's own base, so the offset is the same
    // vector for every condition and cancels there.
    const genes = Object.keys(bio.test!.perCondition).slice(0, 3).map((c) => c.split('+').filter((g) => g !== 'ctrl'))
    const batch = await fx.ctx.services.predictions.predictMany(runId, genes, { controlCells: 300, seed: 1 })
    const G = batch.source.genes.length
    const offset = (i: number) => Array.from({ length: G }, (_, g) => batch.change[i * G + g] - batch.modelChange[i * G + g])
    expect(Math.max(...offset(0).map(Math.abs))).toBeGreaterThan(1e-3)
    for (const i of [1, 2]) expect(maxAbsDiff(offset(i), offset(0))).toBeLessThan(1e-5)
    // Only some genes (what a GI fit reads): the same numbers as those columns of the full batch.
    const columns = Int32Array.from([G - 1, 0, 5, 17])
    const some = await fx.ctx.services.predictions.predictMany(runId, genes, { controlCells: 300, seed: 1, columns })
    expect(Array.from(some.columns!)).toEqual(Array.from(columns))
    for (const key of ['mean', 'change', 'modelChange'] as const) {
      expect(some[key]).toHaveLength(genes.length * columns.length)
      const expected = genes.flatMap((_, i) => Array.from(columns, (g) => batch[key][i * G + g]))
      expect(maxAbsDiff(some[key], expected)).toBeLessThan(1e-5)
    }
  }, 120_000)
})

describe('refusals', () => {
  it('names unknown genes with the closest symbols, and refuses empty and oversized sets', async () => {
    const unknown = await failure(fx.ctx, 'predict:run', { runId: fx.runId, conditions: ['STAT1X+ctrl'] })
    expect(unknown.code).toBe('predict.unknown-gene')
    expect(unknown.message).toMatch(/Unknown gene: STAT1X \(closest: [^)]*STAT1/)
    expect((await failure(fx.ctx, 'predict:run', { runId: fx.runId, conditions: ['ctrl'] })).code).toBe('predict.empty-set')
    expect((await failure(fx.ctx, 'predict:run', { runId: fx.runId, conditions: [[]] })).code).toBe('predict.empty-set')
    const genes = (await call<PredictGenes>(fx.ctx, 'predict:genes', { runId: fx.runId })).genes.map((g) => g.gene)
    const big = await failure(fx.ctx, 'predict:run', { runId: fx.runId, conditions: [genes.slice(0, MAX_SET_SIZE + 1)] })
    expect(big.code).toBe('predict.too-many-genes')
    expect(big.message).toMatch(new RegExp(`has ${MAX_SET_SIZE + 1} genes.*at most ${MAX_SET_SIZE}`))
    // A set larger than any the screen measured is predicted, and flagged (docs/ml-engine.md §11.4).
    const triple = await call<PredictResult>(fx.ctx, 'predict:run', { runId: fx.runId, conditions: [genes.slice(0, 3)], save: false })
    expect(triple.conditions[0].setFlags).toEqual(['no-pair-trained'])
    expect(triple.conditions[0].additiveChange).toHaveLength(triple.genes.length)
    expect((await failure(fx.ctx, 'predict:run', { runId: fx.runId, conditions: [] })).code).toBe('contract.invalid-input')
  })

  it('refuses runs still training, failed, cancelled without a model and deleted, saying why', async () => {
    const repo = new RunsRepo(fx.ctx.db)
    const base = repo.get(fx.runId)!
    const insert = () => repo.insert({ projectId: base.projectId, datasetId: fx.datasetId, model: 'gears', kind: 'model', name: null, config: base.config, splitKey: base.splitKey!, owner: 'elsewhere:1' })
    const queued = insert()
    expect(await failure(fx.ctx, 'predict:run', { runId: queued.id, conditions: ['A'] })).toMatchObject({ code: 'predict.run-not-finished', message: expect.stringMatching(/still queued/) })
    const failed = insert()
    repo.finish(failed.id, { status: 'failed', error: { code: 'train.worker-crashed', message: 'out of memory' } })
    expect(await failure(fx.ctx, 'predict:run', { runId: failed.id, conditions: ['A'] })).toMatchObject({ code: 'predict.run-failed', message: expect.stringMatching(/failed \(out of memory\)/) })
    const cancelled = insert()
    repo.finish(cancelled.id, { status: 'cancelled' })
    expect((await failure(fx.ctx, 'predict:genes', { runId: cancelled.id })).code).toBe('predict.run-failed')
    expect((await failure(fx.ctx, 'predict:run', { runId: 9999, conditions: ['A'] })).code).toBe('run.not-found')
  })
})

describe('history and exports', () => {
  it('keeps predictions with the run; re-opening one gives the same figure data without recomputing; delete removes it', async () => {
    const r = await predict({ conditions: [evaluated[1], evaluated[2]] })
    const ids = r.conditions.map((c) => c.predictionId!)
    expect(ids.every((id) => Number.isInteger(id))).toBe(true)
    const list = await call<PredictionListItem[]>(fx.ctx, 'prediction:list', { runId: fx.runId })
    expect(list.slice(0, 2).map((p) => p.id)).toEqual([...ids].reverse())
    expect(list[0]).toMatchObject({ condition: evaluated[2], measured: true, controlCells: 300, seed: 1 })
    expect(list[0].topChanges).toHaveLength(3)
    const again = await call<PredictResult>(fx.ctx, 'prediction:get', { id: ids[0] })
    const { conditions, ...source } = r
    expect(again).toEqual({ ...source, conditions: [conditions[0]] })
    expect(await call(fx.ctx, 'prediction:delete', { id: ids[0] })).toEqual({ deleted: ids[0] })
    expect((await failure(fx.ctx, 'prediction:get', { id: ids[0] })).code).toBe('prediction.not-found')
  })

  it('exports a prediction as a tidy CSV with a plain header row, its provenance in a sidecar beside it', async () => {
    const r = await predict({ conditions: [evaluated[0]] })
    const saved = await call<ExportSaved>(fx.ctx, 'prediction:export', { id: r.conditions[0].predictionId, format: 'csv' })
    expect(saved.saved).toBe(true)
    const text = fs.readFileSync(saved.path!, 'utf8')
    expect(text.startsWith(`${PREDICTION_COLUMNS.join(',')}\n`)).toBe(true)
    const csv = parseCsv(text)
    expect(csv.comments).toEqual([])
    expect(csv.header).toEqual([...PREDICTION_COLUMNS])
    expect(csv.rows).toHaveLength(r.genes.length)
    expect(path.dirname(saved.provenance!.path!)).toBe(path.dirname(saved.path!))
    expect(saved.provenance!.fileName).toBe(saved.fileName.replace(/\.csv$/, '.provenance.txt'))
    const lines = fs.readFileSync(saved.provenance!.path!, 'utf8').trimEnd().split('\n')
    expect(lines[0]).toMatch(/^Perturb Studio \d/)
    expect(lines).toEqual(expect.arrayContaining([`file: ${saved.fileName} (one header row, then ${r.genes.length.toLocaleString('en')} rows × ${PREDICTION_COLUMNS.length} columns)`, `dataset: small (#${fx.datasetId})`, 'model: gears', 'seed: 1', expect.stringMatching(/^run: \d+, best epoch \d+$/), expect.stringMatching(/^exported: /)]))
    const row = csv.rows.find((x) => x[7] === '1')!
    const g = r.genes.indexOf(row[1])
    expect(row[0]).toBe(evaluated[0])
    expect(Number(row[3])).toBe(r.conditions[0].mean[g])
    expect(Number(row[4])).toBe(r.conditions[0].change[g])
    expect(Number(row[6])).toBe(r.conditions[0].measured!.observedChange[g])
    const records = await call<{ id: number; kind: string; format: string; runId: number }[]>(fx.ctx, 'export:list', { runId: fx.runId })
    expect(records.slice(0, 2)).toMatchObject([
      { id: saved.provenance!.exportId, kind: 'prediction-table-provenance', format: 'txt', runId: fx.runId },
      { id: saved.exportId, kind: 'prediction-table', format: 'csv', runId: fx.runId },
    ])
  })

  it('exports the figure as a PNG that decodes at the stated size and is not blank, and as SVG', async () => {
    const r = await predict({ conditions: [evaluated[0]], save: true })
    const id = r.conditions[0].predictionId
    const png = await call<ExportSaved>(fx.ctx, 'prediction:export', { id, format: 'png' })
    const img = decodePng(fs.readFileSync(png.path!))
    expect([img.width, img.height]).toEqual([2000, 1200])
    const stats = pixelStats(img)
    expect(stats.variance).toBeGreaterThan(100)
    expect(stats.inked).toBeGreaterThan(0.02)
    // White background, not transparent.
    expect(Array.from(img.pixels.subarray(0, 4))).toEqual([255, 255, 255, 255])
    const svg = await call<ExportSaved>(fx.ctx, 'prediction:export', { id, format: 'svg', view: 'top' })
    const text = fs.readFileSync(svg.path!, 'utf8')
    expect(text.startsWith('<svg')).toBe(true)
    expect(text).toContain(evaluated[0])
    expect(text).toContain('Perturb Studio')
    expect(svg.fileName).toMatch(/-top\.svg$/)
  })
})
