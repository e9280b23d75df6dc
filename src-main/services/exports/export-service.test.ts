import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExportFormat, ExportRecord, ExportSaved } from '../../../src-shared/contract'
import { createAppContext, type AppContext } from '../../app-context'
import { openDatabase } from '../../db/database'
import { ExportsRepo } from '../../db/exports-repo'
import { migrations } from '../../db/migrations'
import { startServer, type RunningServer } from '../../server/http-server'
import { parseCsv } from '../../../src-shared/exports/csv'
import { XLSX_MAX_ROWS, type TableExport } from '../../../src-shared/exports/table'
import { pythonWith } from '../../test-support/python'
import { tempHome } from '../../test-support/temp-home'
import { readXlsx } from '../../test-support/xlsx'
import { ExportService } from './export-service'
import { decodePng, pixelStats, pngSize } from '../../test-support/png-check'
import { renderChartPng } from './render-chart'
import { tableFile } from './table-files'

let home: ReturnType<typeof tempHome>
let png: Buffer

beforeAll(async () => {
  home = tempHome('ps-exports-')
  const option = { title: { text: 'Test' }, xAxis: { type: 'category' as const, data: ['a', 'b'] }, yAxis: { type: 'value' as const }, series: [{ type: 'bar' as const, data: [1, -2] }] }
  png = (await renderChartPng(option, { width: 300, height: 200 })).png
})
afterAll(() => home?.cleanup())

function context(transport: 'desktop' | 'browser' | 'cli', saveFile?: (s: { fileName: string; format: ExportFormat }) => Promise<string | null>): AppContext {
  return createAppContext({ home: path.join(home.dir, transport), transport, log: () => undefined, saveFile })
}

/** A CLI context with a data folder of its own, so its export records are only this test's. */
const fresh = (name: string) => createAppContext({ home: path.join(home.dir, name), transport: 'cli', log: () => undefined })

async function save(ctx: AppContext, input: Record<string, unknown>, channel: 'export:save' | 'export:table' = 'export:save'): Promise<ExportSaved> {
  const r = await ctx.router.dispatch(channel, input)
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.data as ExportSaved
}

describe('rendering', () => {
  it('renders an ECharts option headlessly to a PNG at 2× on white, with pixels', () => {
    expect(pngSize(png)).toEqual({ width: 600, height: 400 })
    const img = decodePng(png)
    expect(pixelStats(img).variance).toBeGreaterThan(50)
    expect(Array.from(img.pixels.subarray(0, 4))).toEqual([255, 255, 255, 255])
  })
})

describe('export:save', () => {
  it('desktop: writes where the save dialog says, records it; a cancelled dialog writes nothing', async () => {
    const target = path.join(home.dir, 'chosen', 'figure.png')
    const asked: unknown[] = []
    let answer: string | null = target
    const ctx = context('desktop', async (s) => (asked.push(s), answer))
    try {
      const saved = await save(ctx, { kind: 'test-chart', format: 'png', fileName: 'my figure', content: png.toString('base64'), encoding: 'base64' })
      expect(asked).toEqual([{ fileName: 'my-figure.png', format: 'png' }])
      expect(saved).toMatchObject({ saved: true, path: target, url: null, bytes: png.length })
      expect(fs.readFileSync(target).equals(png)).toBe(true)
      answer = null
      expect(await save(ctx, { kind: 'test-table', format: 'csv', fileName: 't.csv', content: 'a\n1\n' })).toMatchObject({ saved: false, exportId: null, path: null })
      const list = await ctx.router.dispatch('export:list', {})
      expect(list.ok && list.data).toEqual([expect.objectContaining({ id: saved.exportId, kind: 'test-chart', format: 'png', path: target })])
    } finally {
      ctx.close()
    }
  })

  it('refuses content that is not what its format says', async () => {
    const ctx = context('cli')
    try {
      for (const [format, content] of [['png', 'bm90IGEgcG5n'], ['svg', 'hello'], ['json', '{oops']] as const) {
        const r = await ctx.router.dispatch('export:save', { kind: 'x', format, fileName: 'f', content, encoding: format === 'png' ? 'base64' : 'utf8' })
        expect(r.ok ? null : r.error.code).toBe('export.invalid-content')
      }
      const r = await ctx.router.dispatch('export:save', { kind: 'Bad Kind', format: 'csv', fileName: 'f', content: '' })
      expect(r.ok ? null : r.error.code).toBe('contract.invalid-input')
    } finally {
      ctx.close()
    }
  })

  it('only serves downloads kept under the data folder’s exports/', () => {
    const dir = path.join(home.dir, 'unit')
    const ctx = context('cli')
    try {
      const service = new ExportService({ home: dir, transport: 'cli', repo: new ExportsRepo(ctx.db) })
      const outside = service.writeTo(path.join(home.dir, 'elsewhere.csv'), { kind: 'x', format: 'csv', fileName: 'x.csv', bytes: Buffer.from('a\n') })
      expect(() => service.download(outside.exportId!)).toThrow(/No downloadable export/)
    } finally {
      ctx.close()
    }
  })
})

/** A table with the values that trip spreadsheets: float32 digits, tiny and huge numbers, -0, NaN, gene names Excel turns into dates. */
const TABLE: TableExport = {
  kind: 'test-table',
  stem: 'test table',
  tables: [
    {
      sheet: 'Prediction',
      columns: ['condition', 'gene', 'control_mean', 'predicted_change', 'seen', 'de_rank'],
      rows: [
        ['STAT1', 'SEPT2', Math.fround(0.1), 0.1 + 0.2, true, 1],
        ['STAT1', 'MARCH1', 1.25e-7, -0, false, null],
        ['STAT1+IRF1', 'has, comma', 12345678.901234567, Number.NaN, null, 20],
        ['STAT1+IRF1', '#hash', -3.4028234663852886e38, 5e-324, true, 2],
      ],
    },
  ],
  provenance: { what: 'predicted expression for STAT1, STAT1+IRF1', dataset: 'small (#1)', run: '3 “sweep”', model: 'gears', seed: 1, extra: [['values', 'log-normalised expression']] },
}

describe('table exports', () => {
  const openpyxl = pythonWith(['openpyxl'])
  if (!openpyxl.python) console.log(`skipping the openpyxl reads of the .xlsx exports: ${openpyxl.missing}`)

  it('a CSV starts with its plain header row and has its provenance in a sidecar written beside it', async () => {
    const ctx = fresh('csv-sidecar')
    try {
      const target = path.join(home.dir, 'tables', 'pred.csv')
      const file = await tableFile(TABLE, 'csv', '9.8.7', new Date('2026-01-02T03:04:05.000Z'))
      const saved = ctx.services.exports.writeTo(target, { ...file, projectId: null })
      const text = fs.readFileSync(target, 'utf8')
      expect(text.split('\n')[0]).toBe('condition,gene,control_mean,predicted_change,seen,de_rank')
      expect(text.split('\n').filter((l) => l.startsWith('#'))).toEqual([])
      expect(parseCsv(text).rows[1]).toEqual(['STAT1', 'MARCH1', '1.25e-7', '0', 'false', ''])
      const sidecar = path.join(home.dir, 'tables', 'pred.provenance.txt')
      expect(saved.provenance).toMatchObject({ fileName: 'pred.provenance.txt', path: sidecar })
      expect(fs.readFileSync(sidecar, 'utf8').split('\n')).toEqual([
        'Perturb Studio 9.8.7',
        'predicted expression for STAT1, STAT1+IRF1',
        'file: pred.csv (one header row, then 4 rows × 6 columns)',
        'dataset: small (#1)',
        'run: 3 “sweep”',
        'model: gears',
        'seed: 1',
        'values: log-normalised expression',
        'exported: 2026-01-02T03:04:05.000Z',
        '',
      ])
      const list = await ctx.router.dispatch('export:list', {})
      expect(list.ok && (list.data as ExportRecord[]).map((r) => [r.kind, r.format, r.path])).toEqual([
        ['test-table-provenance', 'txt', sidecar],
        ['test-table', 'csv', target],
      ])
      // A failed command takes both back.
      ctx.services.exports.discard(saved)
      expect(fs.existsSync(target) || fs.existsSync(sidecar)).toBe(false)
      expect(await ctx.router.dispatch('export:list', {})).toEqual({ ok: true, data: [] })
    } finally {
      ctx.close()
    }
  })

  it('writes neither the CSV nor its sidecar when one of them cannot be written', async () => {
    const ctx = fresh('blocked-sidecar')
    try {
      const dir = path.join(home.dir, 'blocked')
      fs.mkdirSync(path.join(dir, 'pred.provenance.txt', 'in-the-way'), { recursive: true })
      const file = await tableFile(TABLE, 'csv', '1')
      expect(() => ctx.services.exports.writeTo(path.join(dir, 'pred.csv'), file)).toThrow(/Cannot write .*pred\.provenance\.txt/)
      expect(fs.readdirSync(dir)).toEqual(['pred.provenance.txt'])
      expect(fs.readdirSync(path.join(dir, 'pred.provenance.txt'))).toEqual(['in-the-way'])
      const list = await ctx.router.dispatch('export:list', {})
      expect(list.ok && list.data).toEqual([])
    } finally {
      ctx.close()
    }
  })

  it.skipIf(!openpyxl.python)('an .xlsx has the CSV’s header and numbers (as numbers, to full precision) and a Provenance sheet', async () => {
    const ctx = context('cli')
    try {
      const csvPath = path.join(home.dir, 'both', 't.csv')
      const xlsxPath = path.join(home.dir, 'both', 't.xlsx')
      ctx.services.exports.writeTo(csvPath, await tableFile(TABLE, 'csv', '9.8.7'))
      const saved = ctx.services.exports.writeTo(xlsxPath, await tableFile(TABLE, 'xlsx', '9.8.7'))
      expect(saved.provenance).toBeNull()
      const csv = parseCsv(fs.readFileSync(csvPath, 'utf8'))
      const book = readXlsx(openpyxl.python!, xlsxPath)
      expect(book.order).toEqual(['Prediction', 'Provenance'])
      const sheet = book.sheets.Prediction
      expect(sheet.frozen).toBe('A2')
      expect(sheet.rows[0]).toEqual(csv.header)
      expect(sheet.rows).toHaveLength(csv.rows.length + 1)
      csv.rows.forEach((row, r) =>
        row.forEach((text, c) => {
          const cell = sheet.rows[r + 1][c]
          const type = sheet.types[r + 1][c]
          if (text === '') expect(cell).toBeNull()
          else if (text === 'true' || text === 'false') expect([type, cell]).toEqual(['bool', text === 'true'])
          else if (Number.isFinite(Number(text))) {
            expect(['float', 'int']).toContain(type)
            expect(cell).toBe(Number(text))
          } else expect([type, cell]).toEqual(['str', text])
        }),
      )
      // gene names stay text, never dates; exact doubles, not rounded for display
      expect(sheet.rows[1][1]).toBe('SEPT2')
      expect(sheet.rows[1][3]).toBe(0.30000000000000004)
      expect(sheet.rows[3][2]).toBe(12345678.901234567)
      const prov = book.sheets.Provenance.rows
      expect(prov[0]).toEqual(['key', 'value'])
      expect(prov).toEqual(expect.arrayContaining([['app', 'Perturb Studio 9.8.7'], ['contents', 'predicted expression for STAT1, STAT1+IRF1'], ['sheets', 'Prediction (4 rows × 6 columns)'], ['dataset', 'small (#1)'], ['seed', '1']]))
      expect(prov.at(-1)?.[0]).toBe('exported')
    } finally {
      ctx.close()
    }
  })

  it('keeps the exports a database recorded before workbooks and sidecars, and records those after', () => {
    const f = path.join(home.dir, 'v6.sqlite')
    const v6 = openDatabase(f, { migrations: migrations.filter((m) => m.version <= 6) })
    new ExportsRepo(v6).insert({ projectId: null, runId: null, kind: 'old-table', format: 'csv', path: '/x/old.csv' })
    expect(() => new ExportsRepo(v6).insert({ projectId: null, runId: null, kind: 'book', format: 'xlsx', path: '/x/b.xlsx' })).toThrow(/CHECK constraint/)
    v6.close()
    const db = openDatabase(f)
    try {
      const repo = new ExportsRepo(db)
      repo.insert({ projectId: null, runId: null, kind: 'book', format: 'xlsx', path: '/x/b.xlsx' })
      repo.insert({ projectId: null, runId: null, kind: 'book-provenance', format: 'txt', path: '/x/b.provenance.txt' })
      expect(repo.list({ limit: 10 }).map((r) => [r.id, r.kind, r.format])).toEqual([
        [3, 'book-provenance', 'txt'],
        [2, 'book', 'xlsx'],
        [1, 'old-table', 'csv'],
      ])
    } finally {
      db.close()
    }
  })

  it('refuses an .xlsx larger than an Excel sheet, pointing to CSV', async () => {
    const row = ['A', 'B', 1, 2, true, 3]
    const huge: TableExport = { ...TABLE, tables: [{ ...TABLE.tables[0], rows: new Array(XLSX_MAX_ROWS).fill(row) }] }
    await expect(tableFile(huge, 'xlsx', '1')).rejects.toMatchObject({ code: 'export.too-many-rows', message: expect.stringMatching(/Export it as CSV/) })
  })
})

describe('browser mode', () => {
  let ctx: AppContext
  let server: RunningServer
  beforeAll(async () => {
    ctx = context('browser')
    const rendererDir = path.join(home.dir, 'renderer')
    fs.mkdirSync(rendererDir, { recursive: true })
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html>')
    server = await startServer({ context: ctx, rendererDir })
  })
  afterAll(async () => {
    await server?.close()
    ctx?.close()
  })

  const get = (p: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, path: p, headers: { Host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), headers: res.headers }))
      })
      req.on('error', reject)
      req.end()
    })

  it('keeps the file under the data folder and hands back a token-checked download URL', async () => {
    const saved = await save(ctx, { kind: 'test-chart', format: 'png', fileName: 'chart', content: png.toString('base64'), encoding: 'base64' })
    expect(saved.path).toBeNull()
    expect(saved.url).toBe(`/download/${saved.exportId}/chart.png`)
    const ok = await get(saved.url!, { Authorization: `Bearer ${server.token}` })
    expect(ok.status).toBe(200)
    expect(ok.headers['content-type']).toBe('image/png')
    expect(ok.headers['content-disposition']).toContain('attachment; filename="chart.png"')
    expect(ok.body.equals(png)).toBe(true)
    expect((await get(saved.url!)).status).toBe(401)
    expect((await get(`/download/${saved.exportId}/other.png`, { Authorization: `Bearer ${server.token}` })).status).toBe(404)
    expect((await get('/download/999/chart.png', { Authorization: `Bearer ${server.token}` })).status).toBe(404)
    expect((await get('/download/..%2F..%2Fperturb-studio.sqlite', { Authorization: `Bearer ${server.token}` })).status).toBe(404)
  })

  it('export:table: hands back the CSV’s and its provenance sidecar’s download URLs, or one workbook', async () => {
    const auth = { Authorization: `Bearer ${server.token}` }
    const input = { kind: 'run-comparison', fileName: 'runs.csv', tables: TABLE.tables.map((t) => ({ ...t, rows: t.rows.map((r) => r.map((v) => (typeof v === 'number' && !Number.isFinite(v) ? null : (v ?? null)))) })), provenance: TABLE.provenance }
    const saved = await save(ctx, { ...input, format: 'csv' }, 'export:table')
    expect(saved).toMatchObject({ fileName: 'runs.csv', path: null, url: `/download/${saved.exportId}/runs.csv`, provenance: { fileName: 'runs.provenance.txt', path: null, url: `/download/${saved.provenance!.exportId}/runs.provenance.txt` } })
    const csv = await get(saved.url!, auth)
    expect(csv.body.toString('utf8').startsWith('condition,gene,')).toBe(true)
    const side = await get(saved.provenance!.url!, auth)
    expect([side.status, side.headers['content-type']]).toEqual([200, 'text/plain; charset=utf-8'])
    expect(side.body.toString('utf8')).toMatch(/^Perturb Studio .*\n.*\nfile: runs\.csv \(one header row, then 4 rows × 6 columns\)\n/)
    const x = await save(ctx, { ...input, format: 'xlsx', fileName: 'runs.csv' }, 'export:table')
    expect(x).toMatchObject({ fileName: 'runs.xlsx', provenance: null })
    const book = await get(x.url!, auth)
    expect(book.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    expect(book.body.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04')
  })

  it('accepts an export larger than the API’s usual 1 MB body limit over HTTP', async () => {
    const big = 'gene,value\n' + 'ABC,0.123456\n'.repeat(150_000)
    const body = JSON.stringify({ kind: 'big-table', format: 'csv', fileName: 'big', content: big })
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024)
    const post = (channel: string) =>
      new Promise<{ status: number; json: { ok: boolean; data?: ExportSaved; error?: { code: string } } }>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: server.port, path: `/api/${channel}`, method: 'POST', headers: { Host: `127.0.0.1:${server.port}`, Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' } },
          (res) => {
            let text = ''
            res.on('data', (c) => (text += c))
            res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }))
          },
        )
        req.on('error', reject)
        req.end(body)
      })
    const r = await post('export:save')
    expect(r.status).toBe(200)
    expect(r.json.data!.bytes).toBe(Buffer.byteLength(big))
    const record = ctx.services.exports.download(r.json.data!.exportId!)
    expect(record.file.startsWith(path.join(home.dir, 'browser', 'exports') + path.sep)).toBe(true)
    expect(fs.statSync(record.file).size).toBe(Buffer.byteLength(big))
  })
})
