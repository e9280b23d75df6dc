import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { mapToConditions } from '../../../src-shared/domain/conditions'
import { DE_SIGNIFICANCE } from '../../../src-shared/domain/differential-expression'
import { log2FoldChange, welchTTest } from './de'
import { conditionTests, deHeatmap, targetKnockdown } from './de-tables'
import { guidesOf } from '../design/guide-knockdown'
import { guideKnockdown } from './guides'
import type { PreparedDataset } from './prepared-dataset'
import { preprocessDataset } from './preprocess'
import { loadPapalexiTenX } from '../../test-support/papalexi'

const scipy = spawnSync('python3', ['-c', 'import scipy.stats; scipy.stats.false_discovery_control'], { encoding: 'utf8' }).status === 0

/** Runs python3 with scipy on a JSON input; returns its JSON output. */
function python(script: string, input: unknown): unknown {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'de-scipy-')), 'in.json')
  fs.writeFileSync(file, JSON.stringify(input))
  const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8', maxBuffer: 64 << 20 })
  fs.rmSync(path.dirname(file), { recursive: true, force: true })
  if (r.status !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout)
}

describe('welchTTest', () => {
  it('matches hand-computed Welch t, Welch–Satterthwaite df and a two-sided p', () => {
    // a = [1,2,3,4] (mean 2.5, var 5/3), b = [2,4,6,8,10] (mean 6, var 10)
    const r = welchTTest([2.5], [5 / 3], 4, [6], [10], 5)
    const se2 = 5 / 3 / 4 + 10 / 5
    expect(r.t[0]).toBeCloseTo(-3.5 / Math.sqrt(se2), 12)
    expect(r.df[0]).toBeCloseTo(se2 ** 2 / ((5 / 3 / 4) ** 2 / 3 + (10 / 5) ** 2 / 4), 12)
    // scipy.stats.ttest_ind([1,2,3,4],[2,4,6,8,10],equal_var=False): t −2.2514363231593695, df 5.520787746170677
    expect(r.t[0]).toBeCloseTo(-2.2514363231593695, 12)
    expect(r.df[0]).toBeCloseTo(5.520787746170677, 12)
    expect(r.p[0]).toBeCloseTo(0.06913359319239237, 12)
  })

  it('gives p = 1 and t = 0 where both groups are constant, and keeps tiny p-values', () => {
    const r = welchTTest([1, 0], [0, 0.01], 50, [1, 5], [0, 0.01], 50)
    expect(r.t[0]).toBe(0)
    expect(r.p[0]).toBe(1)
    expect(r.p[1]).toBeGreaterThan(0)
    expect(r.p[1]).toBeLessThan(1e-100)
  })
})

describe('log2FoldChange', () => {
  it('is the log2 ratio of mean normalised counts, as scanpy reports it', () => {
    expect(log2FoldChange(Math.log1p(4), Math.log1p(1))).toBeCloseTo(2, 7)
    expect(log2FoldChange(Math.log1p(0.5), Math.log1p(1))).toBeCloseTo(-1, 7)
  })
})

describe('DE tests on the Papalexi screen (real files)', () => {
  let ds: PreparedDataset
  let guides: (string | null)[]
  let stat1: number
  beforeAll(() => {
    const p = loadPapalexiTenX()
    const mapping = mapToConditions(p.target, { controlLabels: ['non-targeting'] })
    ds = preprocessDataset(p.raw, { conditions: mapping.conditions })
    const kept = new Set(ds.cells)
    guides = p.raw.cells.flatMap((c, i) => (kept.has(c) ? [p.guide[i]] : []))
    stat1 = ds.conditions.findIndex((c) => c.condition === 'STAT1+ctrl')
  }, 60_000)

  it('finds STAT1 knocked down in its own condition, far past the adjusted-p cut', () => {
    const tests = conditionTests(ds, stat1)
    const j = ds.genes.symbol.indexOf('STAT1')
    expect(tests.log2FoldChange[j]).toBeLessThan(-0.5)
    expect(tests.pAdjusted[j]).toBeLessThan(1e-20)
    expect(ds.genes.symbol[tests.order[0]]).toBe('STAT1')
    expect(tests.significant).toBeGreaterThan(0)
    // BH is monotone in p and never below it
    for (let k = 0; k < tests.p.length; k++) expect(tests.pAdjusted[k]).toBeGreaterThanOrEqual(tests.p[k])
  })

  it.skipIf(!scipy)('agrees with scipy ttest_ind(equal_var=False) and false_discovery_control on every gene', () => {
    const G = ds.genes.symbol.length
    const dense = (cond: number) => {
      const rows: number[][] = []
      for (let r = 0; r < ds.cellCondition.length; r++) {
        if (ds.cellCondition[r] !== cond) continue
        const row = new Array<number>(G).fill(0)
        for (let k = ds.X.indptr[r]; k < ds.X.indptr[r + 1]; k++) row[ds.X.indices[k]] = ds.X.data[k]
        rows.push(row)
      }
      return rows
    }
    const out = python(
      `import json,sys,numpy as np
from scipy import stats
d=json.load(open(sys.argv[1]))
a=np.array(d['a'],dtype=np.float64); b=np.array(d['b'],dtype=np.float64)
t,p=stats.ttest_ind(a,b,equal_var=False)
p=np.where(np.isnan(p),1.0,p)
q=stats.false_discovery_control(p)
print(json.dumps({'t':np.nan_to_num(t).tolist(),'p':p.tolist(),'q':q.tolist()}))`,
      { a: dense(stat1), b: dense(0) },
    ) as { t: number[]; p: number[]; q: number[] }
    const tests = conditionTests(ds, stat1)
    for (let j = 0; j < G; j++) {
      expect(tests.t[j]).toBeCloseTo(out.t[j], 6)
      // compared on the log scale: p-values span hundreds of orders of magnitude
      const close = (x: number, y: number) => (y === 0 ? x < 1e-300 : Math.abs(Math.log10(x) - Math.log10(y)) < 1e-4 * Math.max(1, Math.abs(Math.log10(y))))
      expect(close(tests.p[j], out.p[j]), `p of ${ds.genes.symbol[j]}: ${tests.p[j]} vs scipy ${out.p[j]}`).toBe(true)
      expect(close(tests.pAdjusted[j], out.q[j]), `adjusted p of ${ds.genes.symbol[j]}: ${tests.pAdjusted[j]} vs scipy ${out.q[j]}`).toBe(true)
    }
  })

  it('tells the STAT1 guides apart: three leave a quarter of STAT1 or less, STAT1g4 most of it', () => {
    const tests = conditionTests(ds, stat1)
    const [target] = targetKnockdown({ ...ds, cellGuides: { guideColumn: 'guide', guides, replicateColumn: null, replicates: null } } as PreparedDataset, stat1, tests)
    expect(target.gene).toBe('STAT1')
    expect(target.measured).toBe(true)
    // the guide plan's measure (design/guide-knockdown): mean normalised counts over control's
    expect(target.percentOfControl).toBeCloseTo(23.16, 1)
    expect(target.guides.map((g) => [g.guide, g.cells])).toEqual([
      ['STAT1g1', 50],
      ['STAT1g2', 99],
      ['STAT1g3', 279],
      ['STAT1g4', 16],
    ])
    for (const g of target.guides.slice(0, 3)) {
      expect(g.percentOfControl).toBeLessThan(30)
      expect(g.pValue).toBeLessThan(1e-15)
    }
    const weak = target.guides[3]
    expect(weak.percentOfControl).toBeGreaterThan(50)
    expect(weak.pValue).toBeGreaterThan(0.01)
  })

  it('computes a guide’s knockdown from its own cells only, as the guide plan measures it', () => {
    // Two cells of one guide against two control cells, on a 1-gene matrix.
    const X = { nRows: 4, nCols: 1, indptr: Int32Array.from([0, 1, 1, 2, 3]), indices: Int32Array.from([0, 0, 0]), data: Float32Array.from([1, 1.5, 2.5]) }
    const [g] = guideKnockdown(X, ['g1', 'g1', null, null], [0, 1], [2, 3], 0)
    expect(g).toMatchObject({ guide: 'g1', cells: 2, meanTarget: 0.5 })
    // mean normalised counts: (e¹−1 + 0)/2 over (e^1.5−1 + e^2.5−1)/2
    expect(g.percentOfControl).toBeCloseTo((100 * Math.expm1(1)) / (Math.expm1(1.5) + Math.expm1(2.5)), 9)
  })

  it('gives the same share left as the guide plan for every STAT1 guide', () => {
    const withGuides = { ...ds, cellGuides: { guideColumn: 'guide', guides, replicateColumn: null, replicates: null } } as PreparedDataset
    const plan = guidesOf(withGuides, 'Papalexi', ['STAT1']).genes.get('STAT1')!
    const rows: number[] = []
    const control: number[] = []
    ds.cellCondition.forEach((c, r) => (c === stat1 ? rows.push(r) : c === 0 ? control.push(r) : null))
    const ours = guideKnockdown(ds.X, guides, rows, control, ds.genes.symbol.indexOf('STAT1'))
    expect(ours.map((g) => g.guide)).toEqual(plan.guides.map((g) => g.guide))
    ours.forEach((g, i) => expect(g.percentOfControl / 100).toBeCloseTo(plan.guides[i].knockdown!.remaining!, 3))
  })

  it('builds a clustered heatmap of the top DE genes, in a stable order', async () => {
    const options = { genesPerCondition: 5, maxGenes: 40, maxConditions: 40 }
    const h = await deHeatmap(ds, 1, options)
    expect(h.conditions.length).toBe(25)
    expect(h.genes.length).toBeGreaterThan(5)
    expect(h.genes.length).toBeLessThanOrEqual(40)
    expect(h.genes).toContain('STAT1')
    expect(h.values).toHaveLength(h.conditions.length)
    const r = h.conditions.indexOf('STAT1+ctrl')
    expect(h.values[r][h.genes.indexOf('STAT1')]).toBeLessThan(-0.5)
    expect(h.pAdjusted[r][h.genes.indexOf('STAT1')]).toBeLessThan(DE_SIGNIFICANCE.pAdjusted)
    // the interferon-γ pathway knockouts (IFNGR1/2, JAK2, STAT1) lose PD-L1 (CD274) induction and cluster together
    const ifn = ['IFNGR1+ctrl', 'IFNGR2+ctrl', 'JAK2+ctrl', 'STAT1+ctrl'].map((c) => h.conditions.indexOf(c))
    expect(Math.max(...ifn) - Math.min(...ifn)).toBe(3)
    expect(await deHeatmap(ds, 1, options)).toEqual(h)
  })
})
