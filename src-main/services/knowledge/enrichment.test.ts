import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChangeSources, EnrichmentResult, PathwayOverlay, PredictResult } from '../../../src-shared/contract'
import { parseCsv } from '../../../src-shared/exports/csv'
import { oneJson, runCliCaptured } from '../../test-support/cli'
import { pythonWith } from '../../test-support/python'
import { call, failure } from '../../test-support/app'
import { predictFixture, type PredictFixture } from '../../test-support/prediction-fixture'
import { changedGenes, hypergeometricUpperTail, testGeneSets } from './enrichment'
import { rawReactome } from '../../test-support/reactome'

const scipy = pythonWith(['scipy.stats'])

/** scipy's `hypergeom.sf(k − 1, N, K, n)` per case and `false_discovery_control` over them. */
function scipyTails(cases: [k: number, N: number, K: number, n: number][]): { p: number[]; padj: number[] } {
  const script = `
import sys, json
from scipy.stats import hypergeom, false_discovery_control
cases = json.load(sys.stdin)
p = [float(hypergeom.sf(k - 1, N, K, n)) for k, N, K, n in cases]
print(json.dumps({"p": p, "padj": [float(x) for x in false_discovery_control(p)] if p else []}))
`
  const r = spawnSync(scipy.python!, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout) as { p: number[]; padj: number[] }
}

const closeRel = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300)

describe('the hypergeometric upper tail', () => {
  it('matches hand-computed values', () => {
    // 10 genes, 5 in the pathway, 2 changed: both in it with probability C(5,2)/C(10,2) = 10/45.
    expect(hypergeometricUpperTail(2, 10, 5, 2)).toBeCloseTo(10 / 45, 14)
    expect(hypergeometricUpperTail(1, 10, 5, 2)).toBeCloseTo(35 / 45, 14)
    expect(hypergeometricUpperTail(0, 10, 5, 2)).toBe(1)
    expect(hypergeometricUpperTail(3, 10, 5, 2)).toBe(0)
  })

  it.skipIf(!scipy.python)(`matches scipy's hypergeom.sf, tails far below 1e-16 included${scipy.python ? '' : ` (skipped: ${scipy.missing})`}`, () => {
    const cases: [number, number, number, number][] = [
      [1, 299, 12, 40],
      [3, 299, 12, 40],
      [7, 299, 12, 40],
      [30, 11939, 100, 50],
      [12, 11939, 2620, 50],
      [50, 11939, 2620, 50],
      [4, 5000, 5, 4],
    ]
    const { p } = scipyTails(cases)
    cases.forEach(([k, N, K, n], i) => expect(closeRel(hypergeometricUpperTail(k, N, K, n), p[i], 1e-10), `${[k, N, K, n]}: ${hypergeometricUpperTail(k, N, K, n)} vs ${p[i]}`).toBe(true))
    expect(hypergeometricUpperTail(30, 11939, 100, 50)).toBeLessThan(1e-40)
  })
})

describe('testing gene sets', () => {
  it('counts found and measured genes in the background only, skips small sets and adjusts by Benjamini–Hochberg', () => {
    const background = Array.from({ length: 20 }, (_, i) => i)
    const sets = [
      [0, 1, 2, 3, 4], // K 5, k 4
      [0, 5, 6, 7, 8, 9], // K 6, k 1
      [10, 11], // K 2 < 3: not tested
      [0, 1, 12, 13, 14, 15, 16, 17, 18, 19, 99], // 99 is not measured: K 10, k 2
    ]
    const tests = testGeneSets(background, [0, 1, 2, 3, 42], sets, 3)
    const total = 4845 // C(20, 4)
    expect(tests.map((t) => [t.set, t.found, t.measured])).toEqual([
      [0, 4, 5],
      [1, 1, 6],
      [3, 2, 10],
    ])
    expect(tests[0].p).toBeCloseTo(5 / total, 14)
    expect(tests[1].p).toBeCloseTo(3844 / total, 12)
    expect(tests[2].p).toBeCloseTo(3435 / total, 12)
    // BH: p·m/rank from the largest down, kept monotone.
    expect(tests[0].padj).toBeCloseTo(15 / total, 14)
    expect(tests[1].padj).toBeCloseTo(3844 / total, 12)
    expect(tests[2].padj).toBeCloseTo(3844 / total, 12)
  })

  it('calls changed genes by |change| in the chosen direction, at most top', () => {
    const change = [0.05, -0.8, 0.3, 1.2, -0.2, Number.NaN, 0.1]
    expect(changedGenes(change, { direction: 'both', top: 10, minAbsChange: 0.1 })).toEqual([3, 1, 2, 4, 6])
    expect(changedGenes(change, { direction: 'both', top: 2, minAbsChange: 0.1 })).toEqual([3, 1])
    expect(changedGenes(change, { direction: 'up', top: 10, minAbsChange: 0.2 })).toEqual([3, 2])
    expect(changedGenes(change, { direction: 'down', top: 10, minAbsChange: 0 })).toEqual([1, 4])
  })
})

describe('pathway enrichment and overlay on a trained screen', () => {
  let fx: PredictFixture
  let prediction: PredictResult
  let sources: ChangeSources

  beforeAll(async () => {
    fx = await predictFixture('ps-enrich-')
    const genes = await call<{ genes: { gene: string; status: string }[] }>(fx.ctx, 'predict:genes', { runId: fx.runId })
    const seen = genes.genes.find((g) => g.status === 'seen-single')!.gene
    prediction = await call<PredictResult>(fx.ctx, 'predict:run', { runId: fx.runId, conditions: [seen], save: true })
    sources = await call<ChangeSources>(fx.ctx, 'enrichment:sources', { datasetId: fx.datasetId })
  }, 180_000)

  afterAll(() => fx?.close())

  it('lists the measured conditions and the saved prediction as sources', () => {
    expect(sources.measured.length).toBeGreaterThan(3)
    expect(sources.measured[0].cells).toBeGreaterThanOrEqual(sources.measured.at(-1)!.cells)
    expect(sources.predictions.map((p) => p.predictionId)).toContain(prediction.conditions[0].predictionId)
  })

  /** The expected test from the raw Reactome files, independent of the knowledge base. */
  function expected(measured: string[], changed: string[], minSize: number) {
    const raw = rawReactome()
    const listed = new Set<string>()
    for (const s of raw.sets.values()) for (const g of s) listed.add(g)
    const bg = new Set(measured.filter((g) => listed.has(g)))
    const hits = new Set(changed.filter((g) => bg.has(g)))
    const rows: { id: string; k: number; K: number }[] = []
    for (const id of raw.ids) {
      const all = new Set(raw.sets.get(id))
      for (const d of raw.descendants(id)) for (const g of raw.sets.get(d)!) all.add(g)
      const K = [...all].filter((g) => bg.has(g)).length
      if (K < minSize) continue
      rows.push({ id, k: [...all].filter((g) => hits.has(g)).length, K })
    }
    return { N: bg.size, n: hits.size, rows }
  }

  it.skipIf(!scipy.python)(`a measured condition's p-values and BH-adjusted p-values equal scipy's from the raw GMT${scipy.python ? '' : ` (skipped: ${scipy.missing})`}`, async () => {
    const condition = sources.measured[0].condition
    const r = await call<EnrichmentResult>(fx.ctx, 'enrichment:run', { source: { datasetId: fx.datasetId, condition }, options: { top: 40, minAbsChange: 0.05 } })
    expect(r.source).toMatchObject({ kind: 'measured', condition, datasetId: fx.datasetId })
    expect(r.changed.length).toBeGreaterThan(5)
    const { genes } = await call<{ genes: string[] }>(fx.ctx, 'dataset:genes', { id: fx.datasetId })
    const e = expected(genes, r.changed.map((c) => c.gene), 3)
    expect(r.background).toBe(e.N)
    expect(r.changedInBackground).toBe(e.n)
    expect(r.tested).toBe(e.rows.length)
    const py = scipyTails(e.rows.map((row) => [row.k, e.N, row.K, e.n]))
    const byId = new Map(r.pathways.map((p) => [p.id, p]))
    let compared = 0
    e.rows.forEach((row, i) => {
      const got = byId.get(row.id)
      if (row.k === 0) return expect(got).toBeUndefined()
      expect(got, row.id).toBeDefined()
      expect([got!.found, got!.measured]).toEqual([row.k, row.K])
      expect(closeRel(got!.p, py.p[i]), `${row.id} p ${got!.p} vs ${py.p[i]}`).toBe(true)
      expect(closeRel(got!.padj, py.padj[i]), `${row.id} padj ${got!.padj} vs ${py.padj[i]}`).toBe(true)
      compared++
    })
    expect(compared).toBe(r.pathways.length)
    expect(compared).toBeGreaterThan(10)
    // Smallest p first, and the found genes are changed genes.
    expect(r.pathways.map((p) => p.p)).toEqual([...r.pathways.map((p) => p.p)].sort((a, b) => a - b))
    const changed = new Set(r.changed.map((c) => c.gene))
    for (const p of r.pathways) for (const g of p.genes) expect(changed.has(g)).toBe(true)
  })

  it("a prediction's changed genes are its largest predicted changes", async () => {
    const id = prediction.conditions[0].predictionId!
    const r = await call<EnrichmentResult>(fx.ctx, 'enrichment:run', { source: { predictionId: id }, options: { top: 25, minAbsChange: 0, direction: 'both' } })
    expect(r.source).toMatchObject({ kind: 'prediction', predictionId: id, runId: fx.runId, condition: prediction.conditions[0].condition })
    const change = prediction.conditions[0].change
    const byMagnitude = prediction.genes.map((g, i) => ({ g, c: change[i] })).sort((a, b) => Math.abs(b.c) - Math.abs(a.c))
    expect(r.changed.map((c) => c.gene)).toEqual(byMagnitude.slice(0, 25).map((x) => x.g))
    const up = await call<EnrichmentResult>(fx.ctx, 'enrichment:run', { source: { predictionId: id }, options: { top: 25, minAbsChange: 0, direction: 'up' } })
    for (const c of up.changed) expect(c.change).toBeGreaterThan(0)
    for (const p of r.pathways) {
      expect(p.padj).toBeGreaterThanOrEqual(p.p)
      expect(p.found).toBeLessThanOrEqual(p.measured)
      expect(p.measured).toBeLessThanOrEqual(p.size)
    }
  })

  it('the overlay gives each member gene its predicted change, and null where the dataset did not measure it', async () => {
    const id = prediction.conditions[0].predictionId!
    // A pathway of the perturbed gene itself, so its own knock-down is among the member genes.
    const target = prediction.conditions[0].flags[0].gene
    const listing = await call<{ id: string; level: number }[]>(fx.ctx, 'knowledge:gene-pathways', { gene: target })
    const pathwayId = listing.find((p) => p.level === 1)?.id ?? 'R-HSA-168256'
    const o = await call<PathwayOverlay>(fx.ctx, 'enrichment:overlay', { id: pathwayId, source: { predictionId: id } })
    const detail = await call<{ allGenes: string[] }>(fx.ctx, 'knowledge:pathway', { id: pathwayId })
    expect(o.genes.map((g) => g.gene)).toEqual(detail.allGenes)
    const index = new Map(prediction.genes.map((g, i) => [g, i]))
    for (const g of o.genes) {
      if (index.has(g.gene)) expect(g.change).toBeCloseTo(prediction.conditions[0].change[index.get(g.gene)!], 10)
      else expect(g.change).toBeNull()
    }
    expect(o.measured).toBe(o.genes.filter((g) => g.change !== null).length)
    expect(o.measured).toBeGreaterThan(0)
    expect(o.genes.some((g) => g.change === null)).toBe(true)
    // The colour scale spans the other member genes; the target's own knock-down is not what sets it.
    const others = o.genes.filter((g) => g.change !== null && g.gene !== target)
    expect(others.length).toBeGreaterThan(0)
    expect(o.maxAbs).toBeCloseTo(Math.max(0.05, ...others.map((g) => Math.abs(g.change!))), 10)
  })

  it('refuses a condition the dataset did not measure, and a request without a source', async () => {
    expect((await failure(fx.ctx, 'enrichment:run', { source: { datasetId: fx.datasetId, condition: 'NOTAGENE+ctrl' } })).code).toBe('dataset.unknown-condition')
    expect((await failure(fx.ctx, 'enrichment:run', { source: {} })).code).toBe('contract.invalid-input')
    expect((await failure(fx.ctx, 'enrichment:run', { source: { predictionId: 9999 } })).code).toBe('prediction.not-found')
  })

  it('the CLI prints the table, writes it as CSV with its provenance, and takes a measured condition', async () => {
    const id = prediction.conditions[0].predictionId!
    const csv = path.join(fx.home.dir, 'enrichment.csv')
    const json = await runCliCaptured(['--home', fx.home.dir, '--json', 'pathways', 'enrich', '--prediction', String(id), '--top', '30', '--csv', csv])
    expect(json.code).toBe(0)
    const r = oneJson<EnrichmentResult & { file: string }>(json.stdout)
    expect(r.source.predictionId).toBe(id)
    expect(r.options).toMatchObject({ top: 30, direction: 'both' })
    const table = parseCsv(fs.readFileSync(csv, 'utf8'))
    expect(table.header).toEqual(['pathway_id', 'pathway_name', 'found', 'measured_in_pathway', 'pathway_size', 'expected', 'p_value', 'p_adjusted_bh', 'genes'])
    expect(table.rows.map((row) => [row[0], Number(row[6])])).toEqual(r.pathways.map((p) => [p.id, p.p]))
    expect(fs.readFileSync(path.join(fx.home.dir, 'enrichment.provenance.txt'), 'utf8')).toMatch(/hypergeometric upper tail/)

    const condition = sources.measured[1].condition
    const text = await runCliCaptured(['--home', fx.home.dir, 'pathways', 'enrich', '--dataset', String(fx.datasetId), '--condition', condition.replace('+ctrl', '')])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`observed in`)
    expect(text.stdout).toMatch(/adj\. p/)
    const neither = await runCliCaptured(['--home', fx.home.dir, '--json', 'pathways', 'enrich'])
    expect(neither.code).toBe(1)
    expect(oneJson<{ error: { code: string } }>(neither.stdout).error.code).toBe('cli.invalid-option')
    // The gene query of `pathways` still works beside its subcommand.
    const gene = await runCliCaptured(['--home', fx.home.dir, '--json', 'pathways', '--gene', 'STAT1'])
    expect(gene.code).toBe(0)
    const noGene = await runCliCaptured(['--home', fx.home.dir, '--json', 'pathways'])
    expect(noGene.code).toBe(2)
    expect(oneJson<{ error: { code: string; message: string } }>(noGene.stdout).error.message).toMatch(/--gene/)
  })
})
