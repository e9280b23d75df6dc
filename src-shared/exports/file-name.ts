/** A file name safe on every OS: letters, digits, dot, dash and underscore only. */
export function safeFilename(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 120) || 'export'
}

/** `name` made safe, ending in `.ext` exactly once. */
export function withExtension(name: string, ext: string): string {
  const safe = safeFilename(name)
  return safe.toLowerCase().endsWith(`.${ext}`) ? safe : `${safe}.${ext}`
}
