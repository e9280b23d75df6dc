import crypto from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/** A fresh 192-bit token, URL-safe, printed once in the start-up URL (like Jupyter). */
export function newToken(): string {
  return crypto.randomBytes(24).toString('base64url')
}

export const cookieName = (port: number) => `perturb_studio_token_${port}`

/** Hosts a browser on this machine may use to reach us; anything else is DNS rebinding. */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
}

export function allowedOrigins(port: number): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`])
}

export type GateResult = { pass: true; tokenFromQuery: boolean } | { pass: false; status: 401 | 403; reason: string }

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && crypto.timingSafeEqual(x, y)
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim())
      } catch {
        return undefined // a malformed %-escape is no token (401), not a server error
      }
    }
  }
  return undefined
}

/**
 * Every request passes three checks: a Host we serve (403), an Origin of our own if the
 * browser sent one (403), and the token — from the `token` query parameter, the
 * `Authorization: Bearer` header (any case), or the cookie set when the start-up URL was opened (401).
 */
export function checkRequest(req: IncomingMessage, port: number, token: string): GateResult {
  const host = req.headers.host
  if (!host || !allowedHosts(port).has(host.toLowerCase())) {
    return { pass: false, status: 403, reason: `Forbidden: this server only answers to 127.0.0.1:${port} or localhost:${port}.` }
  }
  const origin = req.headers.origin
  if (origin !== undefined && !allowedOrigins(port).has(origin.toLowerCase())) {
    return { pass: false, status: 403, reason: 'Forbidden: cross-origin requests are not accepted.' }
  }
  const url = new URL(req.url ?? '/', `http://${host}`)
  const fromQuery = url.searchParams.get('token')
  const auth = req.headers.authorization
  // the auth scheme is case-insensitive (RFC 9110 §11.1): `bearer`, `BEARER` and `Bearer` all count
  const fromHeader = auth !== undefined ? /^bearer[ \t]+(.+)$/i.exec(auth)?.[1].trim() : undefined
  const fromCookie = readCookie(req.headers.cookie, cookieName(port))
  const presented = fromQuery ?? fromHeader ?? fromCookie
  if (!presented || !tokensEqual(presented, token)) {
    return {
      pass: false,
      status: 401,
      reason: 'Unauthorized: open the full URL with ?token=… that perturb-studio printed when it started.',
    }
  }
  return { pass: true, tokenFromQuery: fromQuery !== null }
}
