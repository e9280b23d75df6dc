import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GuidePlan, SearchResult } from '../../../src-shared/contract'
import { oneJson, runCliCaptured } from '../../test-support/cli'
import { pythonWith } from '../../test-support/python'
import { readXlsx } from '../../test-support/xlsx'
import { SHARED_DIR, tempHome } from '../../test-support/temp-home'

const openpyxl = pythonWith(['openpyxl'])
if (!openpyxl.python) console.log(`skipping the openpyxl read of plan --xlsx: ${openpyxl.missing}`)

/** The Papalexi 2021 screen (.h5ad with guide and replicate per cell) and a one-epoch GEARS run, through the CLI. */
let home: ReturnType<typeof tempHome>
let runId: number
const cli = (args: string[]) => runCliCaptured(['--home', home.dir, ...args])

beforeAll(async () => {
  home = tempHome('ps-cli-guides-')
  const ok = async (args: string[]) => {
    const r = await cli([...args, '--json'])
    if (r.code !== 0) throw new Error(`perturb-studio ${args.join(' ')}: ${r.stdout}`)
    return JSON.parse(r.stdout) as Record<string, unknown>
  }
  await ok(['knowledge', 'build', '--knowledge', path.join(SHARED_DIR, 'knowledge')])
  await ok(['project', 'create', 'Papalexi'])
  await ok(['import', path.join(SHARED_DIR, 'datasets', 'papalexi2021', 'papalexi2021_counts.h5ad'), '--condition-column', 'condition', '--control-label', 'ctrl'])
  runId = (await ok(['train', '--dataset', '1', '--model', 'gears', '--epochs', '1'])).runId as number
}, 300_000)
afterAll(() => home?.cleanup())

describe('perturb-studio plan: the screen’s guides', () => {
  it('lists each gene’s guides with cells and knockdown per replicate, and says which genes the screen never targeted', async () => {
    const r = await cli(['plan', '--run', String(runId), '--items', 'STAT1,IRF7,TP53', '--json'])
    expect(r.code, r.stdout).toBe(0)
    const plan = oneJson<GuidePlan>(r.stdout)
    expect(plan.guideSource).toMatchObject({ guideColumn: 'guide', replicateColumn: 'replicate', replicates: ['rep_1', 'rep_2', 'rep_3'], controlCells: 2_386 })
    const [stat1, irf7, tp53] = plan.rows.map((row) => row.guides[0])
    expect(stat1.guides.map((g) => [g.guide, g.cells])).toEqual([
      ['STAT1g1', 50],
      ['STAT1g2', 99],
      ['STAT1g3', 279],
      ['STAT1g4', 16],
    ])
    expect(stat1.guides[2].replicates.map((x) => x.cells)).toEqual([166, 63, 50])
    expect(stat1.knockdown!.remaining!).toBeLessThan(0.5)
    expect(irf7).toMatchObject({ targeted: true, expressionMeasured: false, knockdown: null })
    expect(tp53).toMatchObject({ targeted: false, guides: [] })

    const human = await cli(['plan', '--run', String(runId), '--items', 'STAT1,TP53'])
    expect(human.stdout).toMatch(/STAT1: 4 guides, \d+ % knockdown over all its cells/)
    expect(human.stdout).toMatch(/STAT1g3: 279 cells, \d+ % knockdown; rep_1 -?\d+ % \(166\), rep_2 -?\d+ % \(63\), rep_3 -?\d+ % \(50\)/)
    expect(human.stdout).toContain('TP53: The screen never targeted TP53')
  }, 120_000)

  it('writes the guides into the plan’s CSV (one text column per gene) and a Guides sheet of the workbook (one row per guide and replicate)', async () => {
    const csv = path.join(home.dir, 'plan.csv')
    const xlsx = path.join(home.dir, 'plan.xlsx')
    const r = await cli(['plan', '--run', String(runId), '--items', 'STAT1,TP53', '--csv', csv, '--xlsx', xlsx, '--json'])
    expect(r.code, r.stdout).toBe(0)
    const plan = oneJson<GuidePlan>(r.stdout)
    const text = fs.readFileSync(csv, 'utf8')
    expect(text).toMatch(/STAT1g4: 16 cells, -?[\d.]+ % knockdown \(rep_1 -?[\d.]+ %, rep_2 -?[\d.]+ %, rep_3 -?[\d.]+ %\)/)
    expect(text).toContain('not targeted by the screen')
    if (!openpyxl.python) return
    const book = readXlsx(openpyxl.python, xlsx)
    expect(book.order).toEqual(['Guide plan', 'Guides', 'Provenance'])
    const [header, ...rows] = book.sheets.Guides.rows
    const at = (name: string) => header.indexOf(name)
    const g3rep1 = rows.find((row) => row[at('guide')] === 'STAT1g3' && row[at('replicate')] === 'rep_1')!
    const want = plan.rows[0].guides[0].guides[2].replicates[0]
    expect(g3rep1[at('cells')]).toBe(166)
    expect(g3rep1[at('knockdown_pct')]).toBeCloseTo(100 * (1 - want.remaining!), 1)
    expect(rows.find((row) => row[at('gene')] === 'TP53')![at('note')]).toBe('not targeted by the screen')
  }, 120_000)
})

describe('perturb-studio search: ties', () => {
  it('gives tied candidates one shared rank and a tie id, and prints a tie as one row', async () => {
    const file = path.join(home.dir, 'stat1-down.json')
    fs.writeFileSync(file, JSON.stringify({ up: [], down: ['STAT1'] }))
    const r = await cli(['search', '--run', String(runId), '--signature', file, '--no-pairs', '--top', '50', '--json'])
    expect(r.code, r.stdout).toBe(0)
    const out = oneJson<SearchResult>(r.stdout)
    // One signature gene: every candidate's cosine is +1, −1 or 0, so most tie.
    expect(out.ties.length).toBeGreaterThan(0)
    for (const t of out.ties) {
      const members = out.hits.filter((h) => h.tie === t.tie)
      expect(members.map((h) => h.condition)).toEqual([...t.conditions].sort())
      expect(new Set(members.map((h) => h.rank))).toEqual(new Set([t.rank]))
      expect(Math.max(...members.map((h) => h.cosine)) - Math.min(...members.map((h) => h.cosine))).toBeLessThanOrEqual(out.tieTolerance)
    }
    // ranks jump past a tie (competition ranking)
    const ranks = [...new Set(out.hits.map((h) => h.rank))]
    ranks.forEach((rank, i) => i && expect(rank).toBe(ranks[i - 1] + out.hits.filter((h) => h.rank === ranks[i - 1]).length))

    const human = await cli(['search', '--run', String(runId), '--signature', file, '--no-pairs'])
    const big = [...out.ties].sort((a, b) => b.conditions.length - a.conditions.length)[0]
    expect(human.stdout).toContain(`${big.rank}–${big.rank + big.conditions.length - 1} (tie)`)
    expect(human.stdout).toContain(`${big.conditions.length} tied: `)
    expect(human.stdout).toContain(`tie at rank ${big.rank}: ${big.conditions.length} perturbations cannot be told apart`)
  }, 120_000)
})
