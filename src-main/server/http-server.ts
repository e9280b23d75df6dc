import fs from 'node:fs'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { CONTENT_SECURITY_POLICY, EXPORT_MAX_BYTES, fail, type Envelope } from '../../src-shared/contract'
import type { AppContext } from '../app-context'
import { checkRequest, cookieName, newToken } from './security'
import { hideUploadPaths, receiveUpload } from './upload'

export interface ServerOptions {
  context: AppContext
  /** Folder of the built renderer (index.html + assets). */
  rendererDir: string
  /** 0 or undefined: a random free port. */
  port?: number
  token?: string
  /** Largest accepted JSON request body. */
  maxBodyBytes?: number
}

export interface RunningServer {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
}


function send(res: ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}) {
  res.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...extra,
  })
  res.end(body)
}

/**
 * A refusal of the core (a missing project, an unreadable file: the envelope's error) is an answer,
 * sent as 200 so the browser does not log it as a failed request; the page shows its message.
 * Requests the contract cannot take (malformed, unknown channel, too large) keep their 4xx, a
 * crash its 500. Error messages never show the server's upload folders (`home`, when given).
 */
function sendEnvelope(res: ServerResponse, envelope: Envelope<unknown>, home?: string) {
  let status = 200
  if (!envelope.ok) {
    const code = envelope.error.code
    status = code === 'internal' ? 500 : code === 'contract.unknown-channel' ? 404 : code === 'contract.body-too-large' ? 413 : code.startsWith('contract.') ? 400 : 200
    if (home) envelope = { ok: false, error: { ...envelope.error, message: hideUploadPaths(envelope.error.message, home) } }
  }
  send(res, status, JSON.stringify(envelope), 'application/json; charset=utf-8')
}

class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`The request body is larger than the ${limit} bytes this server accepts.`)
  }
}

/**
 * The whole body, up to `limit` bytes. Past the limit it rejects with BodyTooLarge at once and
 * discards the rest rather than cutting the connection, so the client can read the 413 answer.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (c: Buffer) => {
      size += c.length
      if (size > limit) {
        req.off('data', onData)
        chunks.length = 0
        req.resume()
        reject(new BodyTooLarge(limit))
        return
      }
      chunks.push(c)
    }
    req.on('data', onData)
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/** decodeURIComponent for URL parts; a malformed %-escape is the client's mistake (400), not ours. */
class BadEscape extends Error {}
function decodeUrlPart(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw new BadEscape(`The URL has a malformed %-escape in '${part.slice(0, 80)}'.`)
  }
}

/**
 * Browser mode: the built renderer and the contract over HTTP (`POST /api/<channel>`), events
 * over a WebSocket (`/events`) and file uploads (`POST /upload`, the browser's stand-in for the
 * desktop file dialog), on 127.0.0.1 only, every request token-checked.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { context } = options
  const token = options.token ?? newToken()
  const maxBody = options.maxBodyBytes ?? 1024 * 1024
  const rendererDir = path.resolve(options.rendererDir)
  let port = 0

  const serveStatic = (req: IncomingMessage, res: ServerResponse, pathname: string, setCookie: boolean) => {
    const indexFile = path.join(rendererDir, 'index.html')
    if (!fs.existsSync(indexFile)) {
      send(res, 503, 'The user interface has not been built yet. Run: npm run build:renderer', 'text/plain; charset=utf-8')
      return
    }
    let file = path.normalize(path.join(rendererDir, decodeUrlPart(pathname)))
    if (!file.startsWith(rendererDir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      // Unknown paths fall back to the app (client-side navigation); traversal never leaves rendererDir.
      file = indexFile
    }
    const headers: Record<string, string> = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY }
    if (setCookie) headers['Set-Cookie'] = `${cookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`
    if (req.method === 'HEAD') {
      send(res, 200, '', MIME[path.extname(file)] ?? 'application/octet-stream', headers)
      return
    }
    send(res, 200, fs.readFileSync(file), MIME[path.extname(file)] ?? 'application/octet-stream', headers)
  }

  const server = http.createServer(async (req, res) => {
    try {
      const gate = checkRequest(req, port, token)
      if (!gate.pass) {
        send(res, gate.status, gate.reason, 'text/plain; charset=utf-8')
        return
      }
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
      if (url.pathname.startsWith('/api/')) {
        if (req.method !== 'POST') {
          send(res, 405, 'Use POST for /api/<channel>', 'text/plain; charset=utf-8', { Allow: 'POST' })
          return
        }
        let channel: string
        try {
          channel = decodeUrlPart(url.pathname.slice('/api/'.length))
        } catch (err) {
          req.resume()
          sendEnvelope(res, fail('contract.malformed-url', `${(err as Error).message} Encode the channel name with encodeURIComponent.`))
          return
        }
        let input: unknown
        try {
          // Exports carry whole files (a chart as base64 PNG, a large table): they may be larger.
          const body = await readBody(req, channel === 'export:save' || channel === 'export:table' ? Math.max(maxBody, Math.ceil((EXPORT_MAX_BYTES * 4) / 3) + 4096) : maxBody)
          input = body.trim() === '' ? {} : JSON.parse(body)
        } catch (err) {
          if (err instanceof BodyTooLarge) {
            sendEnvelope(res, fail('contract.body-too-large', `The request body for ${channel} is larger than ${err.limit} bytes, the most this server accepts. Send less at once (large files go through /upload).`))
            return
          }
          sendEnvelope(res, fail('contract.malformed-json', `The request body for ${channel} is not valid JSON: ${(err as Error).message}`))
          return
        }
        sendEnvelope(res, await context.router.dispatch(channel, input), context.home)
        return
      }
      if (url.pathname === '/upload') {
        if (req.method !== 'POST') {
          send(res, 405, 'Use POST for /upload', 'text/plain; charset=utf-8', { Allow: 'POST' })
          return
        }
        sendEnvelope(res, await receiveUpload(req, context.home, url.searchParams), context.home)
        return
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'Method not allowed', 'text/plain; charset=utf-8')
        return
      }
      if (url.pathname.startsWith('/download/')) {
        // Browser-mode exports (export:save's url): only files the core kept under the data folder.
        const [, , idText, name] = url.pathname.split('/')
        try {
          const f = context.services.exports.download(Number(idText), name === undefined ? undefined : decodeURIComponent(name))
          const body = req.method === 'HEAD' ? '' : fs.readFileSync(f.file)
          send(res, 200, body, f.mime, { 'Content-Disposition': `attachment; filename="${f.fileName.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(f.fileName)}` })
        } catch {
          send(res, 404, 'No such export.', 'text/plain; charset=utf-8')
        }
        return
      }
      serveStatic(req, res, url.pathname, gate.tokenFromQuery)
    } catch (err) {
      if (res.headersSent) return
      if (err instanceof BadEscape) send(res, 400, `Bad request: ${err.message}`, 'text/plain; charset=utf-8')
      else send(res, 500, `Internal error: ${(err as Error).message}`, 'text/plain; charset=utf-8')
    }
  })

  const wss = new WebSocketServer({ noServer: true })
  const sockets = new Set<WebSocket>()
  server.on('upgrade', (req, socket, head) => {
    const gate = checkRequest(req, port, token)
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (!gate.pass || url.pathname !== '/events') {
      const status = gate.pass ? 404 : gate.status
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`)
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
    })
  })
  const unsubscribe = context.events.subscribe((event, payload) => {
    const message = JSON.stringify({ event, payload })
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(message)
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe()
        for (const ws of sockets) ws.terminate()
        wss.close()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
