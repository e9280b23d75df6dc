import { saveBlob } from './download'
import { provenanceLines, type Provenance } from './provenance'

/** One value per cell: numbers are written as they are (no rounding, no thousands separators). */
export type CsvCell = string | number | boolean | null | undefined

function cell(v: CsvCell): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : ''
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  // Quote what would split a cell or a row, and a leading `#` that readers would take for a comment.
  return /[",\r\n]|^\s|\s$|^#/.test(v) ? `"${v.replace(/"/g, '""')}"` : v
}

/**
 * A tidy CSV: `#` comment lines with provenance, one header row, one row per record. Read it with
 * `pandas.read_csv(f, comment="#")` or `read.csv(f, comment.char = "#")`.
 */
export function csvText(columns: string[], rows: CsvCell[][], comments: string[] = []): string {
  const lines = comments.map((c) => `# ${c.replace(/[\r\n]+/g, ' ')}`)
  lines.push(columns.map(cell).join(','))
  for (const row of rows) {
    if (row.length !== columns.length) throw new Error(`A CSV row has ${row.length} values for ${columns.length} columns`)
    lines.push(row.map(cell).join(','))
  }
  return `${lines.join('\n')}\n`
}

/** Builds the CSV with its provenance header and saves it as a download (UTF-8). */
export async function downloadCsv(filename: string, columns: string[], rows: CsvCell[][], provenance: Provenance): Promise<void> {
  const text = csvText(columns, rows, await provenanceLines(provenance))
  saveBlob(new Blob([text], { type: 'text/csv;charset=utf-8' }), filename.endsWith('.csv') ? filename : `${filename}.csv`)
}
