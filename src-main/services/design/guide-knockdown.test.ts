import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatasetSummary } from '../../../src-shared/contract'
import type { AppContext } from '../../app-context'
import { call as callOn, tempAppContext } from '../../test-support/app'
import { loadDataset } from '../datasets/dataset-store'
import { loadPapalexiTenX, PAPALEXI_DIR } from '../../test-support/papalexi'
import { guidesOf } from './guide-knockdown'

let ctx: AppContext
let tenx: DatasetSummary
let h5ad: DatasetSummary

const call = <T>(channel: string, input: unknown) => callOn<T>(ctx, channel, input)

/**
 * The knockdown of one guide computed by hand from the raw 10x counts (test helper, not src-main/io):
 * remaining = mean(count / total) in the guide's cells / mean(count / total) in control cells; the
 * normalize_total target cancels in the ratio.
 */
let papalexi: ReturnType<typeof loadPapalexiTenX> | null = null
function expectedRemaining(gene: string, guide: string, replicate?: string): { remaining: number; cells: number; controlCells: number } {
  const { raw, target, guide: guides } = (papalexi ??= loadPapalexiTenX())
  const reps = new Map(
    fs
      .readFileSync(path.join(PAPALEXI_DIR, 'cells.csv'), 'utf8')
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => [l.split(',')[0], l.split(',')[3]]),
  )
  const g = raw.genes.symbol.indexOf(gene)
  const share = (cell: number) => {
    let total = 0
    let own = 0
    for (let k = raw.X.indptr[cell]; k < raw.X.indptr[cell + 1]; k++) {
      total += raw.X.data[k]
      if (raw.X.indices[k] === g) own = raw.X.data[k]
    }
    return own / total
  }
  let s = 0
  let n = 0
  let sc = 0
  let nc = 0
  raw.cells.forEach((barcode, cell) => {
    if (replicate && reps.get(barcode) !== replicate) return
    if (target[cell] === 'non-targeting') {
      sc += share(cell)
      nc++
    } else if (guides[cell] === guide) {
      s += share(cell)
      n++
    }
  })
  return { remaining: s / n / (sc / nc), cells: n, controlCells: nc }
}

beforeAll(async () => {
  ctx = tempAppContext()
  const projectId = (await call<{ id: number }>('project:create', { name: 'Papalexi guides' })).id
  const mapping = { conditionColumn: 'target', controlLabels: ['non-targeting'] }
  tenx = await call('dataset:import', { projectId, path: PAPALEXI_DIR, metadata: path.join(PAPALEXI_DIR, 'cells.csv'), ...mapping })
  h5ad = await call('dataset:import', { projectId, path: path.join(PAPALEXI_DIR, 'papalexi2021_counts.h5ad'), ...mapping })
}, 120_000)
afterAll(() => ctx.close())

describe('guides and their knockdown (Papalexi 2021, real files)', () => {
  it('keeps each cell’s guide and replicate at import and lists STAT1’s four guides with their cells', async () => {
    const ds = await ctx.services.datasets.load(tenx.datasetId)
    expect(ds.cellGuides).toMatchObject({ guideColumn: 'guide', replicateColumn: 'replicate' })
    const plan = guidesOf(ds, tenx.name, ['STAT1'])
    expect(plan.source).toMatchObject({ guideColumn: 'guide', replicateColumn: 'replicate', replicates: ['rep_1', 'rep_2', 'rep_3'], controlCells: 2_386, note: null })
    const stat1 = plan.genes.get('STAT1')!
    expect(stat1).toMatchObject({ targeted: true, expressionMeasured: true, note: null })
    // cells.csv: STAT1g1 50, g2 99, g3 279, g4 16
    expect(stat1.guides.map((g) => [g.guide, g.cells])).toEqual([
      ['STAT1g1', 50],
      ['STAT1g2', 99],
      ['STAT1g3', 279],
      ['STAT1g4', 16],
    ])
    expect(stat1.guides[0].replicates.map((r) => [r.replicate, r.cells])).toEqual([
      ['rep_1', 18],
      ['rep_2', 21],
      ['rep_3', 11],
    ])
  })

  it('measures each guide’s knockdown as the raw counts give it, overall and per replicate', async () => {
    const ds = await ctx.services.datasets.load(tenx.datasetId)
    const stat1 = guidesOf(ds, tenx.name, ['STAT1']).genes.get('STAT1')!
    for (const guide of ['STAT1g2', 'STAT1g3']) {
      const got = stat1.guides.find((g) => g.guide === guide)!
      const want = expectedRemaining('STAT1', guide)
      expect(got.knockdown!.cells).toBe(want.cells)
      expect(got.knockdown!.controlCells).toBe(want.controlCells)
      expect(got.knockdown!.remaining!).toBeCloseTo(want.remaining, 3)
      // a knockout lowers its target: less than control, and the log change is negative beyond two standard errors
      expect(got.knockdown!.remaining!).toBeLessThan(0.8)
      expect(got.knockdown!.change).toBeLessThan(-2 * got.knockdown!.se!)
      const rep2 = got.replicates.find((r) => r.replicate === 'rep_2')!
      const wantRep2 = expectedRemaining('STAT1', guide, 'rep_2')
      expect(rep2.cells).toBe(wantRep2.cells)
      expect(rep2.controlCells).toBe(wantRep2.controlCells)
      expect(rep2.remaining!).toBeCloseTo(wantRep2.remaining, 3)
    }
  }, 60_000)

  it('reads the same guides from the .h5ad as from the 10x layout', async () => {
    const a = guidesOf(await ctx.services.datasets.load(tenx.datasetId), tenx.name, ['STAT1', 'IFNGR2', 'IRF7'])
    const b = guidesOf(await ctx.services.datasets.load(h5ad.datasetId), h5ad.name, ['STAT1', 'IFNGR2', 'IRF7'])
    expect([...b.genes.values()]).toEqual([...a.genes.values()])
  })

  it('says plainly when a gene was never targeted, or its own expression is not measured', async () => {
    const ds = await ctx.services.datasets.load(tenx.datasetId)
    const plan = guidesOf(ds, tenx.name, ['TP53', 'IRF7'])
    expect(plan.genes.get('TP53')).toMatchObject({ targeted: false, guides: [], knockdown: null })
    expect(plan.genes.get('TP53')!.note).toMatch(/never targeted TP53/)
    const irf7 = plan.genes.get('IRF7')!
    // IRF7 is targeted (4 guides) but is not among the 299 measured genes
    expect(irf7).toMatchObject({ targeted: true, expressionMeasured: false, knockdown: null })
    expect(irf7.guides.map((g) => [g.guide, g.cells, g.knockdown])).toEqual([
      ['IRF7g1', 306, null],
      ['IRF7g2', 165, null],
      ['IRF7g3', 84, null],
      ['IRF7g4', 59, null],
    ])
    expect(irf7.note).toMatch(/not among the dataset's measured genes/)
  })

  it('opens a dataset stored before guide ids were kept, and says where its guides went', async () => {
    const dir = path.join(ctx.home, ctx.services.datasets.require(tenx.datasetId).storageDir)
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'))
    delete manifest.files['cell-guides.json']
    delete manifest.cellGuides
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest))
    fs.rmSync(path.join(dir, 'cell-guides.json'))
    const ds = await loadDataset(dir)
    expect(ds.cellGuides).toBeUndefined()
    const plan = guidesOf(ds, 'old', ['STAT1'])
    expect(plan.source.note).toMatch(/no guide id per cell.*import it again/)
    expect(plan.genes.get('STAT1')).toMatchObject({ targeted: true, guides: [] })
    expect(plan.genes.get('STAT1')!.knockdown!.remaining!).toBeLessThan(0.8) // all its cells together still tell
  })
})
