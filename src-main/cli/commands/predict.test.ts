import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunDetail } from '../../../src-shared/contract'
import { parseCsv } from '../../../src-shared/exports/csv'
import { decodePng, pixelStats } from '../../test-support/png-check'
import { call } from '../../test-support/app'
import { predictFixture, type PredictFixture } from '../../test-support/prediction-fixture'
import { oneJson, runCliCaptured } from '../../test-support/cli'
import { REPO_ROOT } from '../../test-support/temp-home'
import { pythonWith } from '../../test-support/python'
import { readXlsx } from '../../test-support/xlsx'

let fx: PredictFixture
let detail: RunDetail

const cli = (args: string[]) => runCliCaptured(['--home', fx.home.dir, ...args])

beforeAll(async () => {
  fx = await predictFixture('ps-cli-predict-')
  detail = await call<RunDetail>(fx.ctx, 'run:get', { id: fx.runId })
}, 180_000)

afterAll(() => fx?.close())

interface PredictJson {
  runId: number
  genes: number
  conditions: { predictionId: number; condition: string; measured: { metrics: { mse_de: number }; storedMetrics: { mse_de: number } } | null; topChanges: { gene: string; change: number }[] }[]
  files: { path: string; format: string; width?: number; height?: number; view?: string; provenance?: string }[]
}

describe('perturb-studio predict', () => {
  it('predicts measured test conditions with the mse_de the run stored, and writes the CSV and one PNG per condition', async () => {
    const [a, b] = Object.keys(detail.test!.perCondition)
    const out = path.join(fx.home.dir, 'out')
    const r = await cli(['predict', '--run', String(fx.runId), '--condition', a, '--condition', b, '--csv', path.join(out, 'pred.csv'), '--png', path.join(out, 'fig.png'), '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const json = oneJson<PredictJson>(r.stdout)
    expect(json.conditions.map((c) => c.condition)).toEqual([a, b])
    for (const c of json.conditions) {
      expect(c.measured!.metrics.mse_de).toBeCloseTo(detail.test!.perCondition[c.condition].mse_de, 6)
      expect(c.measured!.storedMetrics.mse_de).toBe(detail.test!.perCondition[c.condition].mse_de)
      expect(c.topChanges).toHaveLength(20)
      expect(Number.isInteger(c.predictionId)).toBe(true)
    }
    const csv = parseCsv(fs.readFileSync(path.join(out, 'pred.csv'), 'utf8'))
    expect(csv.header[0]).toBe('condition')
    expect(csv.comments).toEqual([])
    expect(csv.rows).toHaveLength(2 * json.genes)
    const sidecar = path.join(out, 'pred.provenance.txt')
    expect(json.files.find((f) => f.format === 'csv')?.provenance).toBe(sidecar)
    const lines = fs.readFileSync(sidecar, 'utf8').split('\n')
    expect(lines[0]).toMatch(/^Perturb Studio /)
    expect(lines.slice(1, 3)).toEqual([`predicted expression for ${a}, ${b}`, `file: pred.csv (one header row, then ${csv.rows.length.toLocaleString('en')} rows × ${csv.header.length} columns)`])
    const pngs = json.files.filter((f) => f.format === 'png')
    expect(pngs.map((f) => path.basename(f.path))).toEqual([`fig-${a.replace(/\+/g, '-')}.png`, `fig-${b.replace(/\+/g, '-')}.png`])
    for (const f of pngs) {
      const img = decodePng(fs.readFileSync(f.path))
      expect([img.width, img.height]).toEqual([f.width, f.height])
      expect(f.view).toBe('de')
      expect(pixelStats(img).variance).toBeGreaterThan(100)
    }
  })

  const openpyxl = pythonWith(['openpyxl'])
  if (!openpyxl.python) console.log(`skipping the openpyxl read of predict --xlsx: ${openpyxl.missing}`)
  it.skipIf(!openpyxl.python)('--xlsx writes the CSV’s table as a workbook Excel opens: same header, the same numbers as numbers, a Provenance sheet', async () => {
    const [a] = Object.keys(detail.test!.perCondition)
    const out = path.join(fx.home.dir, 'xlsx')
    const r = await cli(['predict', '--run', String(fx.runId), '--condition', a, '--condition', 'STAT1', '--no-save', '--csv', path.join(out, 'p.csv'), '--xlsx', path.join(out, 'p.xlsx'), '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(fs.readdirSync(out).sort()).toEqual(['p.csv', 'p.provenance.txt', 'p.xlsx'])
    // a file named for the other format is refused before anything is predicted
    const wrong = await cli(['predict', '--run', String(fx.runId), '--condition', a, '--csv', path.join(out, 'q.xlsx')])
    expect([wrong.code, wrong.stderr]).toEqual([2, expect.stringContaining(`use --xlsx ${path.join(out, 'q.xlsx')}`)])
    expect(fs.existsSync(path.join(out, 'q.xlsx'))).toBe(false)
    const csv = parseCsv(fs.readFileSync(path.join(out, 'p.csv'), 'utf8'))
    const book = readXlsx(openpyxl.python!, path.join(out, 'p.xlsx'))
    expect(book.order).toEqual(['Prediction', 'Provenance'])
    const sheet = book.sheets.Prediction
    expect(sheet.rows[0]).toEqual(csv.header)
    expect(sheet.rows.length - 1).toBe(csv.rows.length)
    let numbers = 0
    csv.rows.forEach((row, i) =>
      row.forEach((text, c) => {
        const cell = sheet.rows[i + 1][c]
        if (text === '') return expect(cell).toBeNull()
        if (c < 2) return expect(cell).toBe(text)
        expect(['float', 'int']).toContain(sheet.types[i + 1][c])
        expect(cell).toBe(Number(text))
        numbers++
      }),
    )
    expect(numbers).toBeGreaterThan(csv.rows.length * 3)
    const prov = new Map(book.sheets.Provenance.rows.slice(1).map(([k, v]) => [k, v]))
    expect(prov.get('app')).toMatch(/^Perturb Studio /)
    expect(prov.get('model')).toBe('gears')
    expect(prov.get('dataset')).toMatch(/^small \(#\d+\)$/)
  })

  it('shortens file names a long --png name and condition would make too long, keeping them unique', async () => {
    const [a, b] = Object.keys(detail.test!.perCondition)
    const out = path.join(fx.home.dir, 'long')
    const base = 'f'.repeat(230) // with "-<condition>.png" the name passes the 255-byte limit
    const r = await cli(['predict', '--run', String(fx.runId), '--condition', a, '--condition', b, '--png', path.join(out, `${base}.png`), '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const names = oneJson<PredictJson>(r.stdout).files.map((f) => path.basename(f.path))
    expect(new Set(names).size).toBe(2)
    for (const n of names) {
      expect(Buffer.byteLength(n)).toBeLessThanOrEqual(255)
      expect(n.startsWith('ffff')).toBe(true)
      expect(fs.existsSync(path.join(out, n))).toBe(true)
    }
  })

  it('keeps nothing when a file cannot be written: no prediction, no file, no export record', async () => {
    const [a, b] = Object.keys(detail.test!.perCondition)
    const before = (await call<unknown[]>(fx.ctx, 'prediction:list', { runId: fx.runId, limit: 1000 })).length
    const blocker = path.join(fx.home.dir, 'not-a-folder')
    fs.writeFileSync(blocker, 'x')
    const out = path.join(fx.home.dir, 'partial')
    // The CSV is written, then the PNG fails (its folder is a file): the CSV goes too.
    const r = await cli(['predict', '--run', String(fx.runId), '--condition', a, '--condition', b, '--csv', path.join(out, 'p.csv'), '--png', path.join(blocker, 'fig.png')])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/not-a-folder/)
    expect(r.stderr).not.toMatch(/internal/)
    expect(fs.existsSync(path.join(out, 'p.csv'))).toBe(false)
    expect((await call<unknown[]>(fx.ctx, 'prediction:list', { runId: fx.runId, limit: 1000 })).length).toBe(before)
  })

  it('prints a readable summary, and refuses unknown genes with the closest symbols', async () => {
    const ok = await cli(['predict', '--run', String(fx.runId), '--condition', 'STAT1', '--no-save', '--svg', path.join(fx.home.dir, 'fig.svg')])
    expect(ok.code, ok.stderr).toBe(0)
    // An unseen gene says how much of its GO embedding comes from genes the run trained on.
    expect(ok.stdout).toMatch(/STAT1\+ctrl {2}STAT1: (seen-single|seen-combo|unseen-in-knowledge \(\d+ % of its GO embedding from trained genes(: [A-Z0-9, ]+)?\))( |$)/m)
    expect(ok.stdout).toContain('not measured in the dataset')
    expect(ok.stdout).toMatch(/Wrote .*fig\.svg \(svg, 1000×600 px, top view\)/)
    const bad = await cli(['predict', '--run', String(fx.runId), '--condition', 'STAT1X+IRF1', '--json'])
    expect(bad.code).toBe(1)
    const err = oneJson<{ error: { code: string; message: string } }>(bad.stdout).error
    expect(err.code).toBe('predict.unknown-gene')
    expect(err.message).toMatch(/STAT1X \(closest: .*STAT1/)
    expect((await cli(['predict', '--run', '999', '--condition', 'STAT1', '--json'])).stdout).toContain('run.not-found')
    expect((await cli(['predict', '--run', String(fx.runId), '--json'])).code).toBe(2)
  })

  it('works as a real program: the prediction worker keeps the process alive while it starts, and it exits once done', () => {
    // An idle worker does not hold the process; one that is starting must (exit code 13 otherwise:
    // Node ends a program whose top-level await nothing keeps alive).
    const bin = path.join(REPO_ROOT, 'bin', 'perturb-studio.js')
    const r = spawnSync(process.execPath, [bin, '--home', fx.home.dir, '--json', 'predict', '--run', String(fx.runId), '--condition', 'STAT1', '--no-save'], { encoding: 'utf8', timeout: 120_000 })
    expect(r.status, r.stderr).toBe(0)
    expect(oneJson<{ runId: number }>(r.stdout).runId).toBe(fx.runId)
  }, 150_000)
})
