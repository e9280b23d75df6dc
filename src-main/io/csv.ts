import path from 'node:path'
import { AppError } from '../../src-shared/contract'
import { checkTextFile, readLines, type Utf8Check } from './text-input'

/**
 * The one CSV/TSV parser of the project (cell metadata, expression tables): RFC 4180 quoting
 * ("a, b", "say ""hi"""), quoted fields spanning lines, delimiter sniffed from the first lines.
 */

export type Delimiter = ',' | '\t' | ';'

/** The delimiter that splits the sample lines into the same, largest number of fields. */
export function sniffDelimiter(lines: string[]): Delimiter {
  const sample = lines.filter((l) => l.trim() !== '').slice(0, 20)
  let best: Delimiter = ','
  let bestScore = 0
  for (const d of ['\t', ',', ';'] as const) {
    const counts = sample.map((l) => parseCsvLine(l, d).length)
    if (counts.length === 0 || counts[0] < 2) continue
    const consistent = counts.filter((c) => c === counts[0]).length / counts.length
    const score = consistent * Math.log(counts[0])
    if (score > bestScore) {
      bestScore = score
      best = d
    }
  }
  return best
}

/** Fields of one complete record (a line, or several joined by '\n' when a quoted field spans lines). */
export function parseCsvLine(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter)
  const out: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else field += ch
    } else if (ch === '"' && field === '') quoted = true
    else if (ch === delimiter) {
      out.push(field)
      field = ''
    } else field += ch
  }
  out.push(field)
  return out
}

/** True while a quote opened in `text` is still open (the record continues on the next line). */
function quoteOpen(text: string): boolean {
  let open = false
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 34) open = !open
  return open
}

/**
 * Records of a delimited file, one array of fields per record, with the 1-based line where it starts.
 * With `utf8`, one warning is added when the bytes read are not valid UTF-8 (see readLines).
 */
export async function* readCsvRecords(file: string, delimiter: string, role: string, utf8?: Utf8Check): AsyncGenerator<{ fields: string[]; line: number }> {
  let pending: string | null = null
  let start = 0
  let lineNo = 0
  for await (const raw of readLines(file, role, utf8)) {
    lineNo++
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw
    if (pending !== null) {
      pending += '\n' + line
      if (quoteOpen(pending)) continue
      yield { fields: parseCsvLine(pending, delimiter), line: start }
      pending = null
      continue
    }
    if (line === '') continue
    if (line.includes('"') && quoteOpen(line)) {
      pending = line
      start = lineNo
      continue
    }
    yield { fields: parseCsvLine(line, delimiter), line: lineNo }
  }
  if (pending !== null) {
    throw new AppError('dataset.unreadable', `The ${role} ${path.basename(file)} has a quoted field opened on line ${start} that never closes. Fix the quoting and try again.`)
  }
}

export interface CsvTable {
  delimiter: Delimiter
  header: string[]
  rows: string[][]
}

/** A whole (small) table: cell metadata, not expression matrices. Rows must have the header's width. */
export async function readCsvTable(file: string, role: string, opts: { maxRows?: number; utf8?: Utf8Check } = {}): Promise<CsvTable> {
  checkTextFile(file, role)
  const delimiter = await sniffFile(file, role)
  const rows: string[][] = []
  let header: string[] | null = null
  for await (const { fields, line } of readCsvRecords(file, delimiter, role, opts.utf8)) {
    if (header === null) {
      header = fields.map((h) => h.trim())
      continue
    }
    // a header one shorter than the rows means an unnamed first (index) column, as pandas writes it
    if (rows.length === 0 && fields.length === header.length + 1) header = ['', ...header]
    if (fields.length !== header.length) {
      throw new AppError('dataset.unreadable', `The ${role} ${path.basename(file)} has ${fields.length} fields on line ${line} but its header has ${header.length}. Fix that line (quote fields that contain '${delimiter === '\t' ? '\\t' : delimiter}').`)
    }
    rows.push(fields)
    if (opts.maxRows !== undefined && rows.length >= opts.maxRows) break
  }
  if (header === null) throw new AppError('dataset.empty', `The ${role} ${path.basename(file)} has no lines.`)
  return { delimiter, header, rows }
}

export async function sniffFile(file: string, role: string): Promise<Delimiter> {
  const lines: string[] = []
  for await (const line of readLines(file, role)) {
    lines.push(line)
    if (lines.length >= 20) break
  }
  return sniffDelimiter(lines)
}
