import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExportSaved, GiMap, GiMapSummary, GuidePlan, MapEstimate, MapScope, ObservedGi, PairGene, PredictGenes, PredictResult, SearchResult } from '../../../src-shared/contract'
import { WEAK_PLACEMENT_SHARE } from '../../../src-shared/domain/gene-placement'
import { GI_DEFAULTS } from '../../../src-shared/domain/gi-thresholds'
import { parseCsv } from '../../../src-shared/exports/csv'
import { fitGenes, gather, giScores } from '../../ml/gi/gi-scores'
import { decodePng, pixelStats } from '../../test-support/png-check'
import { call, failure } from '../../test-support/app'
import { predictFixture, type PredictFixture } from '../../test-support/prediction-fixture'
import { GUIDE_PLAN_COLUMNS, mapCsv, mapTable } from './design-files'
import { pairPlan, uncertaintyBlindToUnseen } from './pair-map'

let fx: PredictFixture
let vocab: PredictGenes
let seen: string[]
let unseen: string[]

beforeAll(async () => {
  fx = await predictFixture('ps-design-')
  vocab = await call<PredictGenes>(fx.ctx, 'predict:genes', { runId: fx.runId })
  seen = vocab.genes.filter((g) => g.status === 'seen-single').map((g) => g.gene)
  unseen = vocab.genes.filter((g) => g.status === 'unseen-in-knowledge').map((g) => g.gene)
}, 180_000)

afterAll(() => fx?.close())

const progressOf = (jobId: string) => {
  const events: { fraction: number; message: string }[] = []
  const off = fx.ctx.events.on('job:progress', (p) => {
    if (p.jobId === jobId) events.push(p)
  })
  return { events, off }
}

describe('design:map', () => {
  let map: GiMap

  beforeAll(async () => {
    const genes = [...seen.slice(0, 4), unseen[0], unseen[1]]
    const progress = progressOf('map-job-1')
    map = await call<GiMap>(fx.ctx, 'design:map', { runId: fx.runId, genes: genes.join(', '), scope: 'seen', jobId: 'map-job-1', name: 'first' })
    progress.off()
    expect(progress.events.length).toBeGreaterThan(1)
    expect(progress.events.at(-1)!.fraction).toBe(1)
  }, 120_000)

  it('scores every pair with a seen gene and leaves out the pair of two unseen genes', () => {
    expect(map.geneCount).toBe(6)
    expect(map.pairs).toHaveLength(15 - 1)
    expect(map.excluded).toBe(1)
    expect(map.pairs.every((p) => p.seen >= 1)).toBe(true)
    for (const p of map.pairs) {
      expect(p.condition).toBe(`${p.genes[0].gene}+${p.genes[1].gene}`)
      expect(p.scores).not.toBeNull()
      expect(p.scores!.mag).toBeCloseTo(Math.hypot(p.scores!.c1, p.scores!.c2), 5)
      expect(p.call!.type).toMatch(/synergy|suppression|additive|neomorphic|redundant|epistasis/)
      expect(p.uncertainty).toBeGreaterThan(0)
    }
    expect(map.singles.map((s) => s.gene).sort()).toEqual(map.geneList.map((g) => g.gene).sort())
  })

  it('says for each unseen gene how much of its GO embedding the run trained on, as the Predict screen does', async () => {
    const predicted = await call<PredictResult>(fx.ctx, 'predict:run', { runId: fx.runId, conditions: [unseen[0], unseen[1]], save: false })
    for (const [k, gene] of [unseen[0], unseen[1]].entries()) {
      const inMap = map.geneList.find((g) => g.gene === gene)!
      expect(inMap.placedBy).toEqual(predicted.conditions[k].flags[0].placedBy)
      expect(inMap.placedBy!.share).toBeGreaterThanOrEqual(0)
      expect(map.pairs.filter((p) => p.genes.some((g) => g.gene === gene)).every((p) => p.genes.find((g) => g.gene === gene)!.placedBy!.share === inMap.placedBy!.share)).toBe(true)
    }
    expect(map.geneList.filter((g) => g.status !== 'unseen-in-knowledge').every((g) => g.placedBy === undefined)).toBe(true)
    // The map warns about the unseen genes the run can barely place, naming them.
    const weak = map.geneList.filter((g) => g.placedBy && g.placedBy.share < WEAK_PLACEMENT_SHARE).map((g) => g.gene)
    const warning = map.warnings.find((w) => w.includes('of their GO embedding from genes it trained on'))
    expect(warning !== undefined).toBe(weak.length > 0)
    for (const g of weak) expect(warning).toContain(g)
    // and the table carries the share per gene
    const table = parseCsv(mapCsv(map))
    const at = (name: string) => table.header.indexOf(name)
    for (const [r, p] of map.pairs.entries()) {
      const cells = [table.rows[r][at('gene_a_go_share')], table.rows[r][at('gene_b_go_share')]]
      expect(cells).toEqual(p.genes.map((g) => (g.placedBy ? String(Math.round(g.placedBy.share * 1000) / 1000) : '')))
    }
  })

  it('computes each pair from the predicted changes exactly as the pure GI scores do', async () => {
    const p = map.pairs[0]
    const [a, b] = p.genes.map((g) => g.gene)
    const r = await call<PredictResult>(fx.ctx, 'predict:run', { runId: fx.runId, conditions: [[a], [b], [a, b]], save: false })
    const own = new Set([a, b].map((g) => r.genes.indexOf(g)).filter((i) => i >= 0))
    const idx = fitGenes(r.controlMean, GI_DEFAULTS.expressionThreshold, own)
    const [ca, cb, cab] = r.conditions.map((c) => gather(c.change, idx))
    const s = giScores(ca, cb, cab)
    expect(p.scores!.genes).toBe(idx.length)
    expect(p.scores!.c1).toBeCloseTo(s.c1, 4)
    expect(p.scores!.c2).toBeCloseTo(s.c2, 4)
    expect(p.scores!.dcor).toBeCloseTo(s.dcor, 4)
  })

  it('is stored: listed, reopened as computed, deleted', async () => {
    const list = await call<GiMapSummary[]>(fx.ctx, 'design:maps', { runId: fx.runId })
    expect(list.map((m) => m.mapId)).toContain(map.mapId)
    const again = await call<GiMap>(fx.ctx, 'design:get', { mapId: map.mapId })
    expect(again).toEqual(map)
  })

  it('with scope both keeps only the pairs of two seen genes, and says so when there are none', async () => {
    const genes = [...seen.slice(0, 3), unseen[0], unseen[1]]
    const est = await call<MapEstimate>(fx.ctx, 'design:estimate', { runId: fx.runId, genes, scope: 'both' })
    expect(est.pairs).toBe(3)
    expect(est.message).toContain('7 without two seen genes left out')
    const both = await call<GiMap>(fx.ctx, 'design:map', { runId: fx.runId, genes, scope: 'both' })
    expect(both.scope).toBe('both')
    expect(both.pairs).toHaveLength(3)
    expect(both.pairs.every((p) => p.seen === 2)).toBe(true)
    expect(both.excluded).toBe(10 - 3)
    const none = await failure(fx.ctx, 'design:map', { runId: fx.runId, genes: [seen[0], unseen[0], unseen[1]], scope: 'both' })
    expect(none.code).toBe('design.no-pairs-in-scope')
    expect(none.message).toMatch(/has two genes run \d+ saw in training; choose pairs with at least one seen gene/)
  }, 120_000)

  it('by default leaves out the pairs of a gene the run cannot place by GO, and says how to keep them', async () => {
    // On this screen no unseen gene takes a quarter of its GO embedding from trained genes (the most is ~13 %).
    const placements = await fx.ctx.services.predictions.placements(fx.runId, unseen.slice(0, 50))
    const weak = unseen.find((_, i) => placements[i] !== null && placements[i]!.share < WEAK_PLACEMENT_SHARE)!
    const genes = [seen[0], seen[1], weak]
    const est = await call<MapEstimate>(fx.ctx, 'design:estimate', { runId: fx.runId, genes })
    expect(est.pairs).toBe(1)
    expect(est.message).toContain('2 with no seen gene or with a gene the run cannot place left out')
    const m = await call<GiMap>(fx.ctx, 'design:map', { runId: fx.runId, genes })
    expect(m.scope).toBe('placed')
    expect(m.pairs.map((p) => p.condition)).toEqual([[seen[0], seen[1]].sort().join('+')])
    expect(m.excluded).toBe(2)
    const warning = m.warnings.find((w) => w.includes('left out'))!
    expect(warning).toContain(weak)
    expect(warning).toContain('scope seen')
    // scope seen keeps them
    expect((await call<GiMap>(fx.ctx, 'design:map', { runId: fx.runId, genes, scope: 'seen' })).pairs).toHaveLength(3)
    // and when nothing else is left, the refusal names the weak gene and the scope that maps it
    const none = await failure(fx.ctx, 'design:map', { runId: fx.runId, genes: [seen[0], weak] })
    expect(none.code).toBe('design.no-pairs-in-scope')
    expect(none.message).toContain(weak)
    expect(none.message).toContain('scope seen')
  }, 120_000)

  it('plans, per scope, the pairs a seen gene makes with a gene the run places by GO and with one it cannot place', () => {
    const seenGene = (gene: string): PairGene => ({ gene, status: 'seen-single' })
    const unseenGene = (gene: string, share: number): PairGene => ({ gene, status: 'unseen-in-knowledge', placedBy: { share, anchors: [] } })
    const genes = [seenGene('A'), seenGene('B'), unseenGene('PLACED', WEAK_PLACEMENT_SHARE), unseenGene('WEAK', WEAK_PLACEMENT_SHARE - 0.01)]
    const names = (scope: MapScope) => {
      const plan = pairPlan(genes, scope)
      return { pairs: plan.predicted.map(([i, j]) => `${genes[i].gene}+${genes[j].gene}`).sort(), left: plan.left }
    }
    expect(names('both')).toEqual({ pairs: ['A+B'], left: 5 })
    expect(names('placed')).toEqual({ pairs: ['A+B', 'A+PLACED', 'B+PLACED'], left: 3 })
    expect(names('seen')).toEqual({ pairs: ['A+B', 'A+PLACED', 'A+WEAK', 'B+PLACED', 'B+WEAK'], left: 1 })
    expect(names('all').pairs).toHaveLength(6)
  })

  it('keeps pairs of two unseen genes under the uncertainty cut with scope all', async () => {
    const genes = [seen[0], ...unseen.slice(0, 3)]
    const all = await call<GiMap>(fx.ctx, 'design:map', { runId: fx.runId, genes, scope: 'all', maxUncertainty: 1e9 })
    expect(all.pairs).toHaveLength(6)
    expect(all.pairs.filter((p) => p.seen === 0)).toHaveLength(3)
    const tight = await call<GiMap>(fx.ctx, 'design:map', { runId: fx.runId, genes, scope: 'all', maxUncertainty: 1e-9 })
    expect(tight.pairs).toHaveLength(3)
    expect(tight.excluded).toBe(3)
    const auto = await call<GiMap>(fx.ctx, 'design:map', { runId: fx.runId, genes, scope: 'all' })
    expect(auto.maxUncertainty).toBeGreaterThan(0)
    expect(auto.pairs.filter((p) => p.seen === 0).every((p) => p.uncertainty! <= auto.maxUncertainty!)).toBe(true)
    // The map says when the head rates the pairs with no seen gene as certain as the others.
    const sd = (seen: boolean) => all.pairs.filter((p) => (p.seen > 0) === seen).map((p) => p.uncertainty!)
    const blind = uncertaintyBlindToUnseen(sd(true), sd(false)) !== null
    expect(all.warnings.some((w) => w.includes('no less certain than the others'))).toBe(blind)
    // and the exported table carries the map's warnings in its provenance
    expect(mapTable({ ...all, warnings: ['the head is blind here'] }).provenance.extra).toContainEqual(['warning', 'the head is blind here'])
  }, 120_000)

  it('tells an uncertainty head that knows the unseen pairs from one that does not', () => {
    const blind = uncertaintyBlindToUnseen([1.64, 1.63, 1.65, 1.62], [1.65, 1.66, 1.64])
    expect(blind!.seen).toBeCloseTo(1.635, 9)
    expect(blind!.unseen).toBeCloseTo(1.65, 9)
    expect(uncertaintyBlindToUnseen([1.64, 1.63, 1.65, 1.62], [1.9, 2.1, 1.8])).toBeNull()
    expect(uncertaintyBlindToUnseen([1.64, 1.63], [1.65, 1.66, 1.64])).toBeNull()
  })

  it('takes the genes of a Reactome pathway, skipping those the run cannot predict', async () => {
    // The smallest pathway of a seen gene that holds 2–15 genes the run can predict.
    const kb = (await fx.ctx.services.knowledge.base(vocab.knowledgeRelease!))!
    const predictable = new Set(vocab.genes.map((g) => g.gene))
    const count = (id: string) => kb.pathway(id).allGenes.filter((g) => predictable.has(g)).length
    const candidates = seen.flatMap((g) => kb.genePathways(g).map((p) => p.id)).filter((id) => count(id) >= 2 && count(id) <= 15)
    const pathway = candidates.length ? kb.pathway(candidates.sort((a, b) => count(a) - count(b))[0]) : undefined
    expect(pathway, 'a pathway with 2–15 predictable genes, one of them seen').toBeDefined()
    const m = await call<GiMap>(fx.ctx, 'design:map', { runId: fx.runId, pathwayId: pathway!.id, scope: 'seen' })
    expect(m.origin).toContain(pathway!.id)
    expect(m.geneList.map((g) => g.gene).sort()).toEqual(pathway!.allGenes.filter((g) => predictable.has(g)).sort())
    expect(m.skipped.length).toBe(pathway!.allGenes.length - m.geneCount)
  }, 120_000)

  it('exports the heatmap as a PNG that is not blank', async () => {
    const saved = await call<ExportSaved>(fx.ctx, 'design:export-heatmap', { mapId: map.mapId, order: 'clustered' })
    const png = decodePng(fs.readFileSync(saved.path!))
    expect(png.width).toBeGreaterThan(800)
    expect(pixelStats(png).inked).toBeGreaterThan(0.05)
  })
})

describe('design:map refuses bad gene sets', () => {
  it('names unknown genes with the closest symbols', async () => {
    const e = await failure(fx.ctx, 'design:map', { runId: fx.runId, genes: [seen[0], 'NOTAGENE1'] })
    expect(e.code).toBe('predict.unknown-gene')
    expect(e.message).toContain('NOTAGENE1')
  })

  it('names duplicated genes, also when they differ only in case', async () => {
    const e = await failure(fx.ctx, 'design:map', { runId: fx.runId, genes: [seen[0], seen[1], seen[0].toLowerCase()] })
    expect(e.code).toBe('design.duplicate-genes')
    expect(e.message).toContain(seen[0].toUpperCase())
  })

  it('says to choose all pairs when no pair has a seen gene', async () => {
    const e = await failure(fx.ctx, 'design:map', { runId: fx.runId, genes: unseen.slice(0, 3) })
    expect(e.code).toBe('design.no-pairs-in-scope')
    expect(e.message).toContain('scope all')
  })

  it('needs two genes', async () => {
    const e = await failure(fx.ctx, 'design:map', { runId: fx.runId, genes: [seen[0]] })
    expect(e.code).toBe('design.too-few-genes')
    expect(e.message).toContain(`only ${seen[0]}`)
  })

  it('refuses an expression threshold that leaves too few genes to fit, saying to lower it, and stores nothing', async () => {
    const before = (await call<GiMapSummary[]>(fx.ctx, 'design:maps', {})).length
    const e = await failure(fx.ctx, 'design:map', { runId: fx.runId, genes: seen.slice(0, 3), expressionThreshold: 1e6 })
    expect(e.code).toBe('design.too-few-fit-genes')
    expect(e.message).toMatch(/Only 0 of .* genes .* above the expression threshold 1000000.*lower the expression threshold/)
    expect(await call<GiMapSummary[]>(fx.ctx, 'design:maps', {})).toHaveLength(before)
  })

  it('asks for confirmation with the estimated time for 500 genes, and nothing is stored', async () => {
    const genes = vocab.genes.slice(0, 500).map((g) => g.gene)
    expect(genes).toHaveLength(500)
    const before = (await call<GiMapSummary[]>(fx.ctx, 'design:maps', {})).length
    const e = await failure(fx.ctx, 'design:map', { runId: fx.runId, genes, scope: 'all' })
    expect(e.code).toBe('design.confirm-needed')
    expect(e.message).toMatch(/124,750 pairs/)
    expect(e.message).toMatch(/about \d+(\.\d)? (s|min|h) on this machine/)
    expect(e.message).toContain('confirm: true')
    const est = await call<MapEstimate>(fx.ctx, 'design:estimate', { runId: fx.runId, genes, scope: 'all' })
    expect(est).toMatchObject({ genes: 500, pairs: 124_750, conditions: 125_250, needsConfirmation: true })
    expect(est.seconds).toBeGreaterThan(0)
    expect((await call<GiMapSummary[]>(fx.ctx, 'design:maps', {})).length).toBe(before)
  }, 120_000)

  it('can be cancelled, keeping nothing', async () => {
    const before = (await call<GiMapSummary[]>(fx.ctx, 'design:maps', {})).length
    const genes = [...seen.slice(0, 10), ...unseen.slice(0, 10)]
    const running = fx.ctx.router.dispatch('design:map', { runId: fx.runId, genes, jobId: 'cancel-me-1' })
    const off = fx.ctx.events.on('job:progress', (p) => {
      if (p.jobId === 'cancel-me-1') void fx.ctx.router.dispatch('job:cancel', { jobId: 'cancel-me-1' })
    })
    const r = await running
    off()
    expect(r.ok).toBe(false)
    expect(!r.ok && r.error.code).toBe('job.cancelled')
    expect((await call<GiMapSummary[]>(fx.ctx, 'design:maps', {})).length).toBe(before)
  }, 120_000)
})

describe('design:observed', () => {
  it('scores the measured pairs whose singles were measured, as the pure scores do on the condition means', async () => {
    const obs = await call<ObservedGi>(fx.ctx, 'design:observed', { datasetId: fx.datasetId })
    expect(obs.pairs.length).toBeGreaterThan(5)
    const ds = await fx.ctx.services.datasets.load(fx.datasetId)
    const G = ds.genes.symbol.length
    const row = (c: string) => ds.conditions.findIndex((x) => x.condition === c)
    const p = obs.pairs[0]
    const own = p.genes.map((g) => ds.genes.symbol.indexOf(g)).filter((i) => i >= 0)
    const idx = fitGenes(ds.controlMean, 0.5, own)
    const change = (c: string) => Float64Array.from(idx, (g) => ds.conditionMeans[row(c) * G + g] - ds.controlMean[g])
    const s = giScores(change(`${p.genes[0]}+ctrl`), change(`${p.genes[1]}+ctrl`), change(p.condition))
    expect(p.scores!.mag).toBeCloseTo(s.mag, 5)
    expect(p.scores!.dcor_singles).toBeCloseTo(s.dcor_singles, 5)
    // Pairs whose single was never measured alone are listed as skipped, with why.
    for (const sk of obs.skipped) expect(sk.reason).toMatch(/not measured alone/)
  })
})

describe('design:search', () => {
  it('ranks first the perturbation whose predicted change is the signature (cosine = pearson = 1)', async () => {
    const genes = seen.slice(0, 5)
    const target = [genes[1], genes[3]]
    const r = await call<PredictResult>(fx.ctx, 'predict:run', { runId: fx.runId, conditions: [target], save: false })
    const profile: Record<string, number> = {}
    r.genes.forEach((g, i) => (profile[g] = r.conditions[0].change[i]))
    profile.NOT_MEASURED_1 = 3
    const res = await call<SearchResult>(fx.ctx, 'design:search', { runId: fx.runId, signature: { profile }, genes, excludePerturbed: false, top: 3 })
    expect(res.candidates).toBe(5 + 10)
    expect(res.hits[0].condition).toBe(r.conditions[0].condition)
    expect(res.hits[0].cosine).toBeCloseTo(1, 5)
    expect(res.hits[0].pearson).toBeCloseTo(1, 5)
    expect(res.unmatched).toEqual(['NOT_MEASURED_1'])
    expect(res.signatureGenes).toBe(r.genes.length)
  }, 120_000)

  it('reads a pasted up/down table and ranks singles only when asked', async () => {
    const genes = seen.slice(0, 4)
    const ds = await fx.ctx.services.datasets.load(fx.datasetId)
    const text = `gene,direction\n${ds.genes.symbol[0]},up\n${ds.genes.symbol[1]},down\n`
    const res = await call<SearchResult>(fx.ctx, 'design:search', { runId: fx.runId, signature: { text }, genes, pairs: false })
    expect(res.candidates).toBe(4)
    expect(res.hits.map((h) => h.cosine)).toEqual([...res.hits.map((h) => h.cosine)].sort((a, b) => b - a))
  }, 120_000)

  it('says so when no signature gene is measured', async () => {
    const e = await failure(fx.ctx, 'design:search', { runId: fx.runId, signature: { up: ['NOPE1', 'NOPE2'] }, genes: seen.slice(0, 2) })
    expect(e.code).toBe('design.signature-no-overlap')
    expect(e.message).toContain('NOPE1')
  })
})

describe('guide plan', () => {
  it('holds genes, GI scores and type, top changes, uncertainty, seen flags and provenance (CSV)', async () => {
    const map = (await call<GiMapSummary[]>(fx.ctx, 'design:maps', { runId: fx.runId })).find((m) => m.name === 'first')!
    const full = await call<GiMap>(fx.ctx, 'design:get', { mapId: map.mapId })
    const pick = full.pairs.find((p) => p.seen === 1) ?? full.pairs[0]
    const items = [pick.condition, seen[0]]
    const plan = await call<GuidePlan>(fx.ctx, 'design:plan', { runId: fx.runId, mapId: map.mapId, items, topGenes: 5 })
    expect(plan.rows.map((r) => r.condition)).toEqual([pick.condition, `${seen[0]}+ctrl`])
    expect(plan.rows[0].scores).toEqual(pick.scores)
    expect(plan.rows[0].call).toEqual(pick.call)
    expect(plan.rows[0].topChanges).toHaveLength(5)
    expect(plan.rows[1].scores).toBeNull()
    const saved = await call<ExportSaved>(fx.ctx, 'design:export-plan', { runId: fx.runId, mapId: map.mapId, items, topGenes: 5 })
    const csv = parseCsv(fs.readFileSync(saved.path!, 'utf8'))
    expect(csv.header).toEqual([...GUIDE_PLAN_COLUMNS])
    expect(csv.rows).toHaveLength(2)
    const row = Object.fromEntries(csv.header.map((h, i) => [h, csv.rows[0][i]]))
    expect(row.condition).toBe(pick.condition)
    expect(Number(row.mag)).toBeCloseTo(pick.scores!.mag, 5)
    expect(row.gi_type).toBe(pick.call!.type)
    expect([row.gene_a_seen, row.gene_b_seen].sort()).toEqual(pick.seen === 1 ? ['false', 'true'] : ['true', 'true'])
    // an unseen gene's GO share, empty for a seen gene
    expect([row.gene_a_go_share, row.gene_b_go_share]).toEqual(plan.rows[0].genes.map((g) => (g.placedBy ? String(Math.round(g.placedBy.share * 1000) / 1000) : '')))
    expect(plan.rows[0].genes.filter((g) => g.placedBy)).toHaveLength(pick.seen === 1 ? 1 : 0)
    expect(row.top_changed_genes.split('; ')).toHaveLength(5)
    expect(csv.comments).toEqual([])
    const provenance = fs.readFileSync(saved.provenance!.path!, 'utf8')
    expect(provenance).toMatch(/\nrun: \d+/)
    expect(provenance).toMatch(/\nGI calls: magnitude compared as mag \/ 1\.4142/)
    expect(path.basename(saved.path!)).toMatch(/^guide-plan-run\d+-map\d+\.csv$/)
    expect(saved.provenance!.fileName).toBe(path.basename(saved.path!).replace(/\.csv$/, '.provenance.txt'))
    // the map itself as a workbook, and the plan too: one file each, the provenance inside
    const book = await call<ExportSaved>(fx.ctx, 'design:export-map', { mapId: map.mapId, format: 'xlsx' })
    expect([path.basename(book.path!), book.provenance]).toEqual([`gi-map-${map.mapId}-run${fx.runId}.xlsx`, null])
    expect(fs.readFileSync(book.path!).subarray(0, 2).toString('latin1')).toBe('PK')
    const planBook = await call<ExportSaved>(fx.ctx, 'design:export-plan', { runId: fx.runId, mapId: map.mapId, items, format: 'xlsx' })
    expect(path.basename(planBook.path!)).toMatch(/^guide-plan-run\d+-map\d+\.xlsx$/)
  }, 120_000)

  it('refuses an item of three genes', async () => {
    expect((await failure(fx.ctx, 'design:plan', { runId: fx.runId, items: [seen.slice(0, 3).join('+')] })).code).toBe('design.bad-item')
  })
})
