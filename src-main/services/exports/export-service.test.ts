import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExportFormat, ExportSaved } from '../../../src-shared/contract'
import { createAppContext, type AppContext } from '../../app-context'
import { ExportsRepo } from '../../db/exports-repo'
import { startServer, type RunningServer } from '../../server/http-server'
import { tempHome } from '../../test-support/temp-home'
import { ExportService } from './export-service'
import { decodePng, pixelStats, pngSize } from './png-check'
import { renderChartPng } from './render-chart'

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

async function save(ctx: AppContext, input: Record<string, unknown>): Promise<ExportSaved> {
  const r = await ctx.router.dispatch('export:save', input)
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
