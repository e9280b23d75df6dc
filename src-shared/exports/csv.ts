/**
 * Tidy CSV, written the same way by every screen and by the CLI: UTF-8, one plain header row, one
 * value per cell, numbers as they are (no rounding, no thousands separators) and nothing else, so
 * Excel, Prism, `pandas.read_csv(f)` and `read.csv(f)` open it as it is. Where the table came from
 * goes in a sidecar file beside it (`table.ts`, `provenance.ts`).
 */

export type CsvCell = string | number | boolean | null | undefined

function cell(v: CsvCell): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : ''
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  // Quote what would split a cell or a row, and a leading `#` that readers would take for a comment.
  return /[",\r\n]|^\s|\s$|^#/.test(v) ? `"${v.replace(/"/g, '""')}"` : v
}

/** The header row, then one row per record; every row has one value per column. */
export function csvText(columns: string[], rows: CsvCell[][]): string {
  const lines = [columns.map(cell).join(',')]
  for (const row of rows) {
    if (row.length !== columns.length) throw new Error(`A CSV row has ${row.length} values for ${columns.length} columns`)
    lines.push(row.map(cell).join(','))
  }
  return `${lines.join('\n')}\n`
}

export interface ParsedCsv {
  comments: string[]
  header: string[]
  rows: string[][]
}

/**
 * Reads a CSV as a spreadsheet would (RFC 4180 quoting): the inverse of `csvText`, used to check
 * exports and to read tables back. `#` comment lines before the header (the provenance lines that
 * earlier versions wrote into the CSV) are skipped and returned as `comments`.
 */
export function parseCsv(text: string): ParsedCsv {
  const comments: string[] = []
  let at = 0
  while (at < text.length && text[at] === '#') {
    const end = text.indexOf('\n', at)
    const line = text.slice(at, end < 0 ? text.length : end).replace(/\r$/, '')
    comments.push(line.replace(/^# ?/, ''))
    at = end < 0 ? text.length : end + 1
  }
  const records: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  let any = false
  for (let i = at; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (ch === '"') quoted = false
      else field += ch
      continue
    }
    if (ch === '"' && field === '') {
      quoted = true
      any = true
    } else if (ch === ',') {
      row.push(field)
      field = ''
      any = true
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      records.push(row)
      row = []
      field = ''
      any = false
    } else {
      field += ch
      any = true
    }
  }
  if (any || field !== '') {
    row.push(field)
    records.push(row)
  }
  const [header = [], ...rows] = records
  return { comments, header, rows }
}
