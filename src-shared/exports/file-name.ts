/** The longest file name (before the extension) the app makes: well under every OS's 255-byte limit. */
export const MAX_STEM = 120

/** A short, stable hash of a string (FNV-1a, 32 bits) as 8 hex digits: keeps cut names unique. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(16).padStart(8, '0')
}

/**
 * `name` cut to at most `max` characters; a cut name keeps its start (readable) and ends in
 * `-<hash of the whole name>`, so two long names that share a start stay two names.
 */
export function shortName(name: string, max = MAX_STEM): string {
  if (name.length <= max) return name
  return `${name.slice(0, max - 9).replace(/[-.]+$/, '')}-${shortHash(name)}`
}

/** A file name safe on every OS: letters, digits, dot, dash and underscore only; long ones cut with a hash (`shortName`). */
export function safeFilename(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[-.]+|-+$/g, '') || 'export'
  return shortName(safe, MAX_STEM)
}

/** `name` made safe, ending in `.ext` exactly once. */
export function withExtension(name: string, ext: string): string {
  const safe = safeFilename(name)
  return safe.toLowerCase().endsWith(`.${ext}`) ? safe : `${safe}.${ext}`
}
