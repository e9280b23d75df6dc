import path from 'node:path'
import { AppError } from '../../src-shared/contract'
import { readCsvTable } from './csv'
import type { ObsColumn } from './raw-dataset'

/** A cell-metadata table (guide calls, conditions…) joined onto a matrix by barcode; used by 10x and CSV. */

export interface CellMetadata {
  file: string
  barcodeColumn: string
  barcodes: string[]
  /** every column except the barcode column, types inferred */
  columns: Record<string, ObsColumn>
  /** problems found while reading it (not valid UTF-8…), passed on by joinCellMetadata */
  warnings: string[]
}

const BARCODE_NAMES = ['barcode', 'barcodes', 'cell_barcode', 'cell_barcodes', 'cell', 'cells', 'cell_id', 'cellid', 'cell_name', 'obs_names', 'index', '']
const MISSING = new Set(['', 'NA', 'NaN', 'nan', 'N/A', 'null', 'None'])

export async function readCellMetadata(file: string, barcodeColumn?: string): Promise<CellMetadata> {
  const name = path.basename(file)
  const warnings: string[] = []
  const table = await readCsvTable(file, 'cell-metadata file', { utf8: { field: 'cell metadata', warnings } })
  const { header, rows } = table
  let col: number
  if (barcodeColumn !== undefined) {
    col = header.indexOf(barcodeColumn)
    if (col < 0) throw new AppError('dataset.unknown-column', `The cell-metadata file ${name} has no column '${barcodeColumn}'. Its columns are: ${header.map((h) => `'${h}'`).join(', ')}.`)
  } else {
    col = header.findIndex((h) => BARCODE_NAMES.includes(h.toLowerCase()))
    if (col < 0) col = 0
  }
  if (rows.length === 0) throw new AppError('dataset.empty', `The cell-metadata file ${name} has a header but no rows.`)
  const barcodes = rows.map((r) => r[col].trim())
  const seen = new Set<string>()
  for (const b of barcodes) {
    if (seen.has(b)) throw new AppError('dataset.duplicate-barcodes', `The cell-metadata file ${name} lists barcode '${b}' more than once (column '${header[col]}'). Keep one row per cell.`)
    seen.add(b)
  }
  const columns: Record<string, ObsColumn> = {}
  header.forEach((h, j) => {
    if (j === col) return
    const key = h === '' ? `column_${j + 1}` : h
    columns[key] = inferColumn(rows.map((r) => r[j]))
  })
  return { file, barcodeColumn: header[col], barcodes, columns, warnings }
}

/** Numbers when every present value is numeric, booleans when every one is true/false, strings otherwise. */
export function inferColumn(raw: string[]): ObsColumn {
  const values = raw.map((v) => v.trim())
  const present = values.filter((v) => !MISSING.has(v))
  if (present.length > 0 && present.every((v) => Number.isFinite(Number(v)))) {
    return { type: 'number', values: Float64Array.from(values, (v) => (MISSING.has(v) ? NaN : Number(v))) }
  }
  if (present.length > 0 && present.every((v) => /^(true|false)$/i.test(v))) {
    return { type: 'boolean', values: values.map((v) => (MISSING.has(v) ? null : v.toLowerCase() === 'true')) }
  }
  return { type: 'string', values: values.map((v) => (MISSING.has(v) ? null : v)) }
}

export interface JoinResult {
  /** matrix rows kept, in matrix order */
  keep: Int32Array
  obs: Record<string, ObsColumn>
  warnings: string[]
}

/**
 * Keeps the cells that have a metadata row, in matrix order. When nothing matches exactly, retries
 * without a `-1`-style suffix on either side (Cell Ranger appends one, many tables drop it).
 */
export function joinCellMetadata(cells: string[], meta: CellMetadata, matrixFile: string): JoinResult {
  const metaName = path.basename(meta.file)
  let rowOf = new Map(meta.barcodes.map((b, i) => [b, i]))
  let key = (b: string) => b
  let matches = countMatches(cells, rowOf, key)
  const warnings: string[] = [...(meta.warnings ?? [])]
  if (matches === 0) {
    const strip = (b: string) => b.replace(/-\d+$/, '')
    const stripped = new Map(meta.barcodes.map((b, i) => [strip(b), i]))
    if (stripped.size === meta.barcodes.length) {
      const m = countMatches(cells, stripped, strip)
      if (m > 0) {
        rowOf = stripped
        key = strip
        matches = m
        warnings.push(`Barcodes of ${metaName} matched those of ${matrixFile} only after removing the '-1'-style suffix.`)
      }
    }
  }
  if (matches === 0) {
    throw new AppError(
      'dataset.metadata-mismatch',
      `None of the ${cells.length.toLocaleString('en-US')} barcodes of ${matrixFile} (e.g. '${cells[0]}') appears in column '${meta.barcodeColumn}' of ${metaName} (e.g. '${meta.barcodes[0]}'). ` +
        'Choose the metadata column that holds the barcodes (--barcode-column) or the metadata file that belongs to this matrix.',
    )
  }
  const keep = new Int32Array(matches)
  const metaRows = new Int32Array(matches)
  let n = 0
  cells.forEach((c, i) => {
    const r = rowOf.get(key(c))
    if (r !== undefined) {
      keep[n] = i
      metaRows[n++] = r
    }
  })
  const dropped = cells.length - matches
  if (dropped > 0) warnings.push(`${dropped.toLocaleString('en-US')} of ${cells.length.toLocaleString('en-US')} cells of ${matrixFile} have no row in ${metaName} and were left out.`)
  const unmatched = meta.barcodes.length - matches
  if (unmatched > 0) warnings.push(`${unmatched.toLocaleString('en-US')} rows of ${metaName} match no barcode of ${matrixFile} and were ignored.`)
  const obs: Record<string, ObsColumn> = {}
  for (const [k, col] of Object.entries(meta.columns)) obs[k] = pickRows(col, metaRows)
  return { keep, obs, warnings }
}

function countMatches(cells: string[], rowOf: Map<string, number>, key: (b: string) => string): number {
  let n = 0
  for (const c of cells) if (rowOf.has(key(c))) n++
  return n
}

export function pickRows(col: ObsColumn, rows: Int32Array): ObsColumn {
  if (col.type === 'number') return { type: 'number', values: Float64Array.from(rows, (r) => col.values[r]) }
  if (col.type === 'boolean') return { type: 'boolean', values: Array.from(rows, (r) => col.values[r]) }
  return { type: 'string', values: Array.from(rows, (r) => col.values[r]) }
}
