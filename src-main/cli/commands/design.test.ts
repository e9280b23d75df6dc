import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PredictGenes } from '../../../src-shared/contract'
import { parseCsv } from '../../../src-shared/exports/csv'
import { MAP_COLUMNS } from '../../services/design/design-files'
import { call } from '../../test-support/app'
import { predictFixture, type PredictFixture } from '../../test-support/prediction-fixture'
import { oneJson, runCliCaptured } from '../../test-support/cli'
import { pythonWith } from '../../test-support/python'
import { readXlsx } from '../../test-support/xlsx'

const openpyxl = pythonWith(['openpyxl'])
if (!openpyxl.python) console.log(`skipping the openpyxl read of gi --xlsx: ${openpyxl.missing}`)

let fx: PredictFixture
let vocab: PredictGenes
let seen: string[]
let unseen: string[]

const cli = (args: string[]) => runCliCaptured(['--home', fx.home.dir, ...args])

beforeAll(async () => {
  fx = await predictFixture('ps-cli-design-')
  vocab = await call<PredictGenes>(fx.ctx, 'predict:genes', { runId: fx.runId })
  seen = vocab.genes.filter((g) => g.status === 'seen-single').map((g) => g.gene)
  unseen = vocab.genes.filter((g) => g.status === 'unseen-in-knowledge').map((g) => g.gene)
}, 180_000)

afterAll(() => fx?.close())

interface PairJson {
  condition: string
  type: string
  criteria: string[]
  illDetermined: boolean
  rule: string
  warning: string | null
  scores: Record<string, number>
  uncertainty: number | null
}

describe('perturb-studio gi', () => {
  it('prints every pair with all scores and calls, and writes the table', async () => {
    const csv = path.join(fx.home.dir, 'map.csv')
    const xlsx = path.join(fx.home.dir, 'map.xlsx')
    const r = await cli(['gi', '--run', String(fx.runId), '--genes', seen.slice(0, 4).join(','), '--pairs-only', '--csv', csv, '--xlsx', xlsx, '--json'])
    expect(r.code, r.stdout).toBe(0)
    const out = oneJson<{ mapId: number; pairs: PairJson[]; files: { path: string }[] }>(r.stdout)
    expect(out.pairs).toHaveLength(6)
    for (const p of out.pairs) {
      expect(Object.keys(p.scores).sort()).toEqual(['c1', 'c2', 'corr_fit', 'dcor', 'dcor_first', 'dcor_second', 'dcor_singles', 'dominance', 'eq_contr', 'genes', 'mag', 'magRelative', 'singles_cos'])
      expect(p.type).toMatch(/\w/)
      expect(p.illDetermined).toBe(Math.abs(p.scores.singles_cos) > 0.95)
      // one call, and the rule that decided it in words
      expect(p.rule).toMatch(new RegExp(`^(strong )?${p.type}: `))
    }
    const table = parseCsv(fs.readFileSync(csv, 'utf8'))
    expect(table.header).toEqual([...MAP_COLUMNS])
    const flag = MAP_COLUMNS.indexOf('gi_ill_determined')
    const byCondition = new Map(out.pairs.map((p) => [p.condition, p]))
    for (const row of table.rows) expect(row[flag]).toBe(String(byCondition.get(row[0])!.illDetermined))
    for (const row of table.rows) expect([row[MAP_COLUMNS.indexOf('gi_rule')], row[MAP_COLUMNS.indexOf('gi_warning')]]).toEqual([byCondition.get(row[0])!.rule, byCondition.get(row[0])!.warning ?? ''])
    expect(table.rows.map((row) => row[0]).sort()).toEqual(out.pairs.map((p) => p.condition).sort())
    expect(out.files.map((f) => f.path)).toEqual([csv, xlsx])
    expect(table.comments).toEqual([])
    expect(fs.readFileSync(path.join(fx.home.dir, 'map.provenance.txt'), 'utf8')).toMatch(/^Perturb Studio .*\nGI pair map \d+: 6 pairs of 4 genes/)
    if (!openpyxl.python) return
    // The workbook: the CSV's header, numbers as numbers equal to the CSV's, booleans as booleans.
    const sheet = readXlsx(openpyxl.python, xlsx).sheets['Pair map']
    expect(sheet.rows[0]).toEqual(table.header)
    table.rows.forEach((row, i) =>
      row.forEach((text, c) => {
        const [cell, type] = [sheet.rows[i + 1][c], sheet.types[i + 1][c]]
        if (text === '') expect(cell).toBeNull()
        else if (type === 'bool') expect(String(cell)).toBe(text)
        else if (type === 'str') expect(cell).toBe(text)
        else expect(cell).toBe(Number(text))
      }),
    )
    const mag = MAP_COLUMNS.indexOf('mag')
    expect(sheet.types.slice(1).map((t) => t[mag])).toEqual(table.rows.map(() => 'float'))
  }, 120_000)

  it('scores the measured pairs of a dataset with --observed', async () => {
    const r = await cli(['gi', '--observed', '--dataset', String(fx.datasetId), '--json'])
    expect(r.code, r.stdout).toBe(0)
    const out = oneJson<{ pairs: { condition: string; call: { type: string } }[]; settings: { expressionThreshold: number } }>(r.stdout)
    expect(out.pairs.length).toBeGreaterThan(5)
    expect(out.settings.expressionThreshold).toBe(0.5)
  })

  it('keeps only the pairs of two seen genes with --scope both (or --both-seen), and refuses two scopes at once', async () => {
    const genes = [...seen.slice(0, 3), unseen[0]].join(',')
    const twoSeen = [...seen.slice(0, 3)].sort().flatMap((a, i, all) => all.slice(i + 1).map((b) => `${a}+${b}`))
    for (const flags of [['--scope', 'both'], ['--both-seen']]) {
      const r = await cli(['gi', '--run', String(fx.runId), '--genes', genes, ...flags, '--pairs-only', '--json'])
      expect(r.code, r.stdout).toBe(0)
      expect(oneJson<{ pairs: PairJson[] }>(r.stdout).pairs.map((p) => p.condition).sort()).toEqual(twoSeen)
    }
    for (const flags of [['--both-seen', '--all-pairs'], ['--scope', 'seen', '--all-pairs']]) {
      const both = await cli(['gi', '--run', String(fx.runId), '--genes', genes, ...flags, '--json'])
      expect(both.code).toBe(1)
      expect(oneJson<{ error: { code: string; message: string } }>(both.stdout).error.message).toContain('give one of them')
    }
  }, 120_000)

  it('refuses a set with one gene (exit 1, one JSON error)', async () => {
    const r = await cli(['gi', '--run', String(fx.runId), '--genes', seen[0], '--json'])
    expect(r.code).toBe(1)
    expect(oneJson<{ error: { code: string } }>(r.stdout).error.code).toBe('design.too-few-genes')
  })

  it('asks for --yes before a large map, with the estimate as data under --json', async () => {
    const genes = vocab.genes.slice(0, 120).map((g) => g.gene).join(',')
    const r = await cli(['gi', '--run', String(fx.runId), '--genes', genes, '--scope', 'all'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/Error \(design\.confirm-needed\): 120 genes: 7,140 pairs and 120 singles to predict, about \d+(\.\d)? (s|min|h) on this machine\. Rerun with --yes to compute it\./)
    expect(r.stderr).not.toContain('confirm: true')
    const json = await cli(['gi', '--run', String(fx.runId), '--genes', genes, '--scope', 'all', '--json'])
    const error = oneJson<{ error: { code: string; details: { kind: string; estimate: { pairs: number; needsConfirmation: boolean } } } }>(json.stdout).error
    expect(error.code).toBe('design.confirm-needed')
    expect(error.details).toMatchObject({ kind: 'map', estimate: { pairs: 7140, needsConfirmation: true } })
  }, 120_000)
})

describe('perturb-studio search', () => {
  it('ranks perturbations against a signature file', async () => {
    const ds = await fx.ctx.services.datasets.load(fx.datasetId)
    const file = path.join(fx.home.dir, 'signature.csv')
    fs.writeFileSync(file, `gene,log2fc\n${ds.genes.symbol.slice(0, 30).map((g, i) => `${g},${i % 2 ? 1.5 : -0.7}`).join('\n')}\n`)
    const r = await cli(['search', '--run', String(fx.runId), '--signature', file, '--genes', seen.slice(0, 4).join(','), '--top', '3', '--json'])
    expect(r.code, r.stdout).toBe(0)
    const out = oneJson<{ hits: { condition: string; cosine: number }[]; candidates: number; signatureGenes: number }>(r.stdout)
    expect(out.candidates).toBe(10)
    expect(out.signatureGenes).toBe(30)
    expect(out.hits).toHaveLength(3)
    expect(out.hits[0].cosine).toBeGreaterThanOrEqual(out.hits[2].cosine)
  }, 120_000)

  it('says when the signature shares no gene with the dataset', async () => {
    const file = path.join(fx.home.dir, 'none.json')
    fs.writeFileSync(file, JSON.stringify({ up: ['NOPE1'], down: ['NOPE2'] }))
    const r = await cli(['search', '--run', String(fx.runId), '--signature', file, '--json'])
    expect(r.code).toBe(1)
    expect(oneJson<{ error: { code: string } }>(r.stdout).error.code).toBe('design.signature-no-overlap')
  }, 120_000)
})
