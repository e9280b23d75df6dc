import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import { createAppContext, type AppContext } from '../app-context'
import { tempHome } from '../test-support/temp-home'
import { makeUnreadable, restoreReadable, writeTinyTenx } from '../test-support/unreadable'
import { startServer, type RunningServer } from './http-server'

let home: ReturnType<typeof tempHome>
let context: AppContext
let server: RunningServer
let rendererDir: string

/** Raw HTTP so Host and Origin can be forged (fetch would refuse to). */
function request(
  pathAndQuery: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: server.port, path: pathAndQuery, method: opts.method ?? 'GET', headers: { Host: `127.0.0.1:${server.port}`, ...opts.headers } },
      (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }))
      },
    )
    req.on('error', reject)
    if (opts.body !== undefined) req.write(opts.body)
    req.end()
  })
}

const auth = () => ({ Authorization: `Bearer ${server.token}` })
const api = (channel: string, body: string, headers: Record<string, string> = auth()) =>
  request(`/api/${channel}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body })

beforeAll(async () => {
  home = tempHome()
  rendererDir = path.join(home.dir, 'renderer')
  fs.mkdirSync(rendererDir)
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Perturb Studio</title>')
  context = createAppContext({ home: path.join(home.dir, 'data'), transport: 'browser', log: () => undefined })
  server = await startServer({ context, rendererDir })
})

afterEach(() => vi.restoreAllMocks())

afterAll(async () => {
  await server.close()
  context.close()
  home.cleanup()
})

describe('browser-mode server', () => {
  it('listens on 127.0.0.1 only, on a random port, and prints a token URL', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[A-Za-z0-9_-]{32}$`))
    expect(server.port).toBeGreaterThan(0)
  })

  it('answers 200 with the token and sets an HttpOnly cookie for the page', async () => {
    const r = await request(`/?token=${server.token}`)
    expect(r.status).toBe(200)
    expect(r.body).toContain('Perturb Studio')
    expect(String(r.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/)
    expect(r.headers['content-security-policy']).toContain("default-src 'self'")
    const cookie = String(r.headers['set-cookie']).split(';')[0]
    expect((await request('/assets/app.js', { headers: { Cookie: cookie } })).status).toBe(200)
  })

  it('answers 401 without a token or with a wrong one', async () => {
    expect((await request('/')).status).toBe(401)
    expect((await request('/?token=wrong')).status).toBe(401)
    expect((await api('project:list', '{}', {})).status).toBe(401)
    expect((await api('project:list', '{}', { Authorization: 'Bearer nope' })).status).toBe(401)
  })

  it('answers 403 to a foreign Host (DNS rebinding) or Origin, even with the token', async () => {
    expect((await request(`/?token=${server.token}`, { headers: { Host: 'evil.example' } })).status).toBe(403)
    expect((await request(`/?token=${server.token}`, { headers: { Host: `evil.example:${server.port}` } })).status).toBe(403)
    expect((await api('project:list', '{}', { ...auth(), Origin: 'http://evil.example' })).status).toBe(403)
    expect((await api('project:list', '{}', { ...auth(), Origin: `http://localhost:${server.port}` })).status).toBe(200)
    expect((await request(`/?token=${server.token}`, { headers: { Host: `localhost:${server.port}` } })).status).toBe(200)
  })

  it('runs contract channels and returns envelopes', async () => {
    const created = await api('project:create', JSON.stringify({ name: 'Screen' }))
    expect(created.status).toBe(200)
    expect(JSON.parse(created.body)).toMatchObject({ ok: true, data: { name: 'Screen' } })
    const list = JSON.parse((await api('project:list', '')).body)
    expect(list.data.map((p: { name: string }) => p.name)).toContain('Screen')
  })

  it('gives clear errors for malformed JSON, unknown channels, bad input and wrong methods, writing nothing', async () => {
    const before = context.services.projects.list().length
    const malformed = await api('project:create', '{"name": "x"')
    expect(malformed.status).toBe(400)
    expect(JSON.parse(malformed.body).error.code).toBe('contract.malformed-json')
    const unknown = await api('project:explode', '{}')
    expect(unknown.status).toBe(404)
    expect(JSON.parse(unknown.body).error.code).toBe('contract.unknown-channel')
    const long = await api('project:create', JSON.stringify({ name: 'x'.repeat(10_000) }))
    expect(long.status).toBe(400)
    expect(JSON.parse(long.body).error.message).toContain('at most 200 characters')
    expect((await request('/api/project:list', { headers: auth() })).status).toBe(405)
    const missing = await api('project:delete', JSON.stringify({ id: 4242 }))
    expect(missing.status).toBe(422)
    expect(JSON.parse(missing.body).error.code).toBe('project.not-found')
    expect(context.services.projects.list().length).toBe(before)
  })

  it('stores uploads under the data folder, never outside it', async () => {
    const r = await request('/upload?name=../../etc/passwd', { method: 'POST', headers: auth(), body: 'a,b\n1,2\n' })
    const env = JSON.parse(r.body)
    expect(env.ok).toBe(true)
    expect(env.data.path.startsWith(path.join(context.home, 'uploads'))).toBe(true)
    expect(path.basename(env.data.path)).toBe('passwd')
    expect(fs.readFileSync(env.data.path, 'utf8')).toBe('a,b\n1,2\n')
  })

  it('answers a preview of a file it cannot read with a clear 422, and keeps serving', async () => {
    for (const name of ['features.tsv.gz', 'matrix.mtx', 'barcodes.tsv', 'cells.csv']) {
      const dir = writeTinyTenx(path.join(home.dir, `tenx-${name}`))
      const file = path.join(dir, name)
      const how = makeUnreadable(file)
      const r = await api('dataset:preview', JSON.stringify({ path: dir, format: 'auto' }))
      restoreReadable(file, how)
      expect(r.status, r.body).toBe(422)
      expect(JSON.parse(r.body).error).toMatchObject({ code: 'dataset.unreadable', message: expect.stringContaining(`${file}: permission denied`) })
      // an unhandled stream error would have ended the process (and this test run) by now
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect((await api('project:list', '{}')).status).toBe(200)
    }
  })

  it('pushes events over the WebSocket only to authorised clients', async () => {
    const refused = new WebSocket(`ws://127.0.0.1:${server.port}/events`)
    const refusal = await new Promise<string>((resolve) => {
      refused.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)))
      refused.on('error', () => resolve('error'))
    })
    expect(refusal).toBe('401')

    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${server.token}`, { headers: { Origin: `http://127.0.0.1:${server.port}` } })
    await new Promise((resolve) => ws.once('open', resolve))
    const message = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))))
    await api('project:create', JSON.stringify({ name: 'Evented' }))
    expect(JSON.parse(await message)).toMatchObject({ event: 'project:changed' })
    ws.close()
  })
})
