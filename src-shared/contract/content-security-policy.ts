/**
 * The one Content-Security-Policy of the app: only our own scripts, no remote anything, never
 * framed. The browser-mode server sends it as a header, the desktop shell sets it on every
 * response, and the renderer build writes it into index.html's meta tag (less `frame-ancestors`,
 * which browsers ignore in a meta tag).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** The policy as a `<meta http-equiv>` tag may carry it: `frame-ancestors` only works as a header. */
export const CONTENT_SECURITY_POLICY_META = CONTENT_SECURITY_POLICY.split('; ')
  .filter((d) => !d.startsWith('frame-ancestors'))
  .join('; ')
