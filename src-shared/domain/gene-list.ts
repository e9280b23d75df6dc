/**
 * Gene lists as people type or paste them: `STAT1+IRF1`, `STAT1, IRF1`, one per line from a
 * spreadsheet column. One parser for every box that takes genes.
 */

/** Separators between genes: `+` (a condition), commas, semicolons, tabs, spaces and new lines. */
const SEPARATORS = /[+,;\s]+/

/**
 * The genes of a typed or pasted list, in the order given, each once (case-insensitively; the
 * first spelling wins). `ctrl` (the control token of a condition) is not a gene and is dropped.
 */
export function parseGeneList(text: string): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const raw of text.split(SEPARATORS)) {
    const token = raw.trim()
    if (!token || /^ctrl$/i.test(token)) continue
    const key = token.toUpperCase()
    if (seen.has(key)) continue
    seen.add(key)
    out.push(token)
  }
  return out
}
