import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatasetDetail, DeTable } from '../../../src-shared/contract'
import { parseCsv } from '../../../src-shared/exports/csv'
import { oneJson, runCliCaptured } from '../../test-support/cli'
import { SHARED_DIR, tempHome } from '../../test-support/temp-home'

const PAPALEXI = path.join(SHARED_DIR, 'datasets', 'papalexi2021')
let home: ReturnType<typeof tempHome>
const cli = (args: string[]) => runCliCaptured(['--home', path.join(home.dir, 'data'), ...args])
let id: number

beforeAll(async () => {
  home = tempHome('ps-cli-de-')
  const r = await cli(['import', PAPALEXI, '--metadata', path.join(PAPALEXI, 'cells.csv'), '--condition-column', 'target', '--control-label', 'non-targeting', '--json'])
  expect(r.code, r.stdout + r.stderr).toBe(0)
  id = oneJson<{ datasetId: number }>(r.stdout).datasetId
}, 120_000)
afterAll(() => home.cleanup())

describe('perturb-studio dataset show / dataset de (Papalexi 10x + cells.csv)', () => {
  it('show --json carries each condition’s adjusted p-values beside its top DE genes', async () => {
    const r = await cli(['dataset', 'show', String(id), '--json'])
    expect(r.code, r.stderr).toBe(0)
    const d = oneJson<DatasetDetail & { top_non_dropout_de_20: Record<string, string[]> }>(r.stdout)
    const stat1 = d.deTests['STAT1+ctrl']
    expect(stat1.genes.map((g) => g.gene)).toEqual(d.top_non_dropout_de_20['STAT1+ctrl'])
    expect(stat1.genes[0]).toMatchObject({ gene: 'STAT1', log2FoldChange: expect.any(Number), pValue: expect.any(Number), pAdjusted: expect.any(Number) })
    expect(stat1.genes[0].pAdjusted).toBeLessThan(1e-50)
    expect(stat1.significantGenes).toBeGreaterThan(1)
  })

  it('de prints the table and the per-guide knockdown, and --out writes every gene as CSV with its provenance', async () => {
    const out = path.join(home.dir, 'de-stat1.csv')
    const r = await cli(['dataset', 'de', String(id), '--condition', 'STAT1', '--out', out])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/target STAT1: \d+ % of control .*STAT1g1 \d+ % \(50 cells\)/)
    expect(r.stdout).toMatch(/adj\. p/)
    const csv = parseCsv(fs.readFileSync(out, 'utf8'))
    expect(csv.header).toEqual(['gene', 'log2_fold_change', 'mean_condition', 'mean_control', 'change', 't', 'p_value', 'p_adjusted', 'significant'])
    expect(csv.rows).toHaveLength(299)
    expect(csv.rows[0][0]).toBe('STAT1')
    const padj = csv.rows.map((row) => Number(row[7]))
    expect(padj).toEqual([...padj].sort((a, b) => a - b))
    const side = fs.readFileSync(path.join(home.dir, 'de-stat1.provenance.txt'), 'utf8')
    expect(side).toMatch(/Welch t-test/)
    expect(side).toMatch(/Benjamini–Hochberg/)
  })

  it('de --out FILE.xlsx writes a workbook (genes, per-guide knockdown, provenance)', async () => {
    const out = path.join(home.dir, 'de-stat1.xlsx')
    const r = await cli(['dataset', 'de', String(id), '--condition', 'STAT1', '--out', out, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(oneJson<{ written: { path: string } }>(r.stdout).written.path).toBe(out)
    const bytes = fs.readFileSync(out)
    expect(bytes.subarray(0, 2).toString()).toBe('PK')
    const ExcelJS = (await import('exceljs')).default
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(bytes as unknown as ArrayBuffer)
    expect(wb.worksheets.map((w) => w.name)).toEqual(['DE genes', 'Target knockdown', 'Provenance'])
    const knock = wb.getWorksheet('Target knockdown')!
    expect(knock.getRow(1).values).toContain('percent_of_control')
    expect(knock.rowCount).toBe(1 + 1 + 4) // header, STAT1 overall, 4 guides
  })

  it('de --json lists the top genes by adjusted p with the targets’ guides', async () => {
    const r = await cli(['dataset', 'de', String(id), '--condition', 'STAT1+ctrl', '--top', '5', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const t = oneJson<DeTable & { genesTotal: number }>(r.stdout)
    expect(t.genes).toHaveLength(5)
    expect(t.genesTotal).toBe(299)
    expect(t.guideColumn).toBe('guide')
    expect(t.targets[0].guides.map((g) => g.guide)).toEqual(['STAT1g1', 'STAT1g2', 'STAT1g3', 'STAT1g4'])
  })

  it('refuses an unknown condition with its code and an example', async () => {
    const r = await cli(['dataset', 'de', String(id), '--condition', 'NOPE', '--json'])
    expect(r.code).toBe(1)
    expect(oneJson<{ error: { code: string; message: string } }>(r.stdout).error).toMatchObject({ code: 'dataset.unknown-condition', message: expect.stringContaining('dataset show') })
  })
})
