import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_META } from '../../src-shared/contract'
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
    // A refusal is an answer (200 with the error envelope), so the browser does not log it as a failed request.
    const missing = await api('project:delete', JSON.stringify({ id: 4242 }))
    expect(missing.status).toBe(200)
    expect(JSON.parse(missing.body).error.code).toBe('project.not-found')
    expect(context.services.projects.list().length).toBe(before)
  })

  it('answers 413 with the JSON error to a body over the limit, and keeps serving', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) })
    const r = await api('project:create', big)
    expect(r.status).toBe(413)
    expect(JSON.parse(r.body).error).toMatchObject({ code: 'contract.body-too-large', message: expect.stringContaining('larger than 1048576 bytes') })
    expect((await api('project:list', '{}')).status).toBe(200)
  })

  it('answers 400 to a malformed %-escape in the URL or the cookie, never 500', async () => {
    const channel = await api('project%E0%A4%A:list', '{}')
    expect(channel.status).toBe(400)
    expect(JSON.parse(channel.body).error.code).toBe('contract.malformed-url')
    const page = await request(`/assets/%E0%A4%A.js?token=${server.token}`)
    expect(page.status).toBe(400)
    expect(page.body).toMatch(/malformed %-escape/)
    expect((await request('/', { headers: { Cookie: `perturb_studio_token_${server.port}=%E0%A4%A` } })).status).toBe(401)
  })

  it('accepts the Bearer scheme in any case', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      expect((await api('project:list', '{}', { Authorization: `${scheme} ${server.token}` })).status).toBe(200)
    }
    expect((await api('project:list', '{}', { Authorization: `Basic ${server.token}` })).status).toBe(401)
  })

  it('sends the one Content-Security-Policy, frame-ancestors and connect-src included', async () => {
    const r = await request(`/?token=${server.token}`)
    expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY)
    expect(CONTENT_SECURITY_POLICY).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\*/)
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'")
    expect(CONTENT_SECURITY_POLICY_META).not.toContain('frame-ancestors')
    // no other hand-written copy of the policy in the shells
    for (const file of ['../desktop/main.ts', './http-server.ts']) {
      expect(fs.readFileSync(path.join(import.meta.dirname, file), 'utf8')).not.toContain("default-src 'self'")
    }
  })

  it('stores uploads under the data folder, never outside it', async () => {
    const r = await request('/upload?name=../../etc/passwd', { method: 'POST', headers: auth(), body: 'a,b\n1,2\n' })
    const env = JSON.parse(r.body)
    expect(env.ok).toBe(true)
    expect(env.data.path.startsWith(path.join(context.home, 'uploads'))).toBe(true)
    expect(path.basename(env.data.path)).toBe('passwd')
    expect(fs.readFileSync(env.data.path, 'utf8')).toBe('a,b\n1,2\n')
  })

  it('never shows the server’s upload folders in an error: the user sees the name of the file they picked', async () => {
    const up = JSON.parse((await request('/upload?name=notes.h5ad', { method: 'POST', headers: auth(), body: 'just text, not HDF5\n' })).body)
    const r = await api('dataset:preview', JSON.stringify({ path: up.data.path, format: 'auto' }))
    const env = JSON.parse(r.body)
    expect(env.ok).toBe(false)
    expect(env.error.message).toContain('notes.h5ad')
    expect(env.error.message).not.toContain('uploads')
    expect(env.error.message).not.toContain(context.home)
    const folder = path.dirname(up.data.path)
    const tenx = JSON.parse((await api('dataset:preview', JSON.stringify({ path: folder, format: '10x' }))).body)
    expect(tenx.ok).toBe(false)
    expect(tenx.error.message).not.toContain(context.home)
  })

  it('answers a preview of a file it cannot read with a clear refusal, and keeps serving', async () => {
    for (const name of ['features.tsv.gz', 'matrix.mtx', 'barcodes.tsv', 'cells.csv']) {
      const dir = writeTinyTenx(path.join(home.dir, `tenx-${name}`))
      const file = path.join(dir, name)
      const how = makeUnreadable(file)
      const r = await api('dataset:preview', JSON.stringify({ path: dir, format: 'auto' }))
      restoreReadable(file, how)
      expect(r.status, r.body).toBe(200)
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
