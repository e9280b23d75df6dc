/**
 * The core's one table writer: a `TableExport` as a CSV with its provenance sidecar, or as an
 * Excel workbook (data sheets + Provenance sheet). Every table export — predictions, pair maps,
 * guide plans, observed GI scores, DE tables, whatever comes next — goes through `tableFile`, so
 * the files of the screens and of the CLI are the same and keep the same header row either way.
 */
import ExcelJS from 'exceljs'
import { PassThrough } from 'node:stream'
import { AppError } from '../../../src-shared/contract'
import type { CsvCell } from '../../../src-shared/exports/csv'
import { safeFilename } from '../../../src-shared/exports/file-name'
import { provenanceEntries, provenanceText } from '../../../src-shared/exports/provenance'
import { PROVENANCE_SHEET, sheetName, tableCsv, XLSX_MAX_CELL_TEXT, XLSX_MAX_COLUMNS, XLSX_MAX_ROWS, type DataTable, type TableExport, type TableFormat } from '../../../src-shared/exports/table'

/** A table ready to write: the file, and (CSV) its provenance sidecar's text for a given final file name. */
export interface TableFile {
  kind: string
  format: TableFormat
  fileName: string
  bytes: Buffer
  /** CSV: the sidecar `<name>.provenance.txt` for the name the file is finally written under */
  provenance: ((fileName: string) => Buffer) | null
  rows: number
}

function xlsxCell(v: CsvCell): string | number | boolean | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  return v
}

function checkLimits(t: DataTable): void {
  if (t.rows.length + 1 > XLSX_MAX_ROWS) {
    throw new AppError('export.too-many-rows', `The table has ${t.rows.length.toLocaleString('en')} rows; an Excel sheet holds at most ${(XLSX_MAX_ROWS - 1).toLocaleString('en')} under its header. Export it as CSV, or fewer conditions at a time.`)
  }
  if (t.columns.length > XLSX_MAX_COLUMNS) throw new AppError('export.too-many-columns', `The table has ${t.columns.length} columns; an Excel sheet holds at most ${XLSX_MAX_COLUMNS}. Export it as CSV.`)
}

function checkRow(t: DataTable, row: CsvCell[], i: number): void {
  if (row.length !== t.columns.length) throw new Error(`Row ${i + 1} of ${t.sheet} has ${row.length} values for ${t.columns.length} columns`)
  for (let c = 0; c < row.length; c++) {
    const v = row[c]
    if (typeof v === 'string' && v.length > XLSX_MAX_CELL_TEXT) {
      throw new AppError('export.cell-too-long', `The ${t.columns[c]} of row ${i + 1} has ${v.length.toLocaleString('en')} characters; an Excel cell holds at most ${XLSX_MAX_CELL_TEXT.toLocaleString('en')}. Export it as CSV.`)
    }
  }
}

/**
 * The workbook: one sheet per table (header row bold, frozen, with filters; numbers as numbers,
 * booleans as TRUE/FALSE, gene names as text — never dates), then the Provenance sheet. Written
 * by exceljs's streaming writer, row by row: a 250,000-row prediction takes less than half the time
 * and an eighth of the memory the in-memory workbook needs.
 */
export async function xlsxBytes(tables: DataTable[], provenance: [string, string][], now = new Date()): Promise<Buffer> {
  for (const t of tables) checkLimits(t)
  const chunks: Buffer[] = []
  const stream = new PassThrough()
  stream.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve)
    stream.on('error', reject)
  })
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: false })
  wb.creator = provenance.find(([k]) => k === 'app')?.[1] ?? 'Perturb Studio'
  wb.created = now
  wb.modified = now
  const taken = new Set<string>([PROVENANCE_SHEET.toLowerCase()])
  for (const t of tables) {
    const ws = wb.addWorksheet(sheetName(t.sheet, taken), { views: [{ state: 'frozen', ySplit: 1 }] })
    ws.columns = t.columns.map((c) => ({ header: c, width: Math.min(40, Math.max(10, c.length + 2)) }))
    ws.getRow(1).font = { bold: true }
    ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: t.columns.length } }
    ws.getRow(1).commit()
    t.rows.forEach((row, i) => {
      checkRow(t, row, i)
      ws.addRow(row.map(xlsxCell)).commit()
    })
    ws.commit()
  }
  const ps = wb.addWorksheet(PROVENANCE_SHEET)
  ps.columns = [
    { header: 'key', width: 24, style: { alignment: { vertical: 'top' } } },
    { header: 'value', width: 110, style: { alignment: { vertical: 'top', wrapText: true } } },
  ]
  ps.getRow(1).font = { bold: true }
  ps.getRow(1).commit()
  for (const entry of provenance) ps.addRow(entry).commit()
  ps.commit()
  await wb.commit()
  await done
  return Buffer.concat(chunks)
}

/**
 * A table export as a file: `csv` (one table, plain header row; provenance for the sidecar) or
 * `xlsx` (every table a sheet, and the Provenance sheet). `appVersion` names the app in the
 * provenance; `now` is the export time.
 */
export async function tableFile(doc: TableExport, format: TableFormat, appVersion: string, now = new Date()): Promise<TableFile> {
  if (!doc.tables.length) throw new Error('A table export needs at least one table')
  const rows = doc.tables.reduce((n, t) => n + t.rows.length, 0)
  const fileName = `${safeFilename(doc.stem)}.${format}`
  if (format === 'xlsx') {
    const entries = provenanceEntries(doc.provenance, appVersion, now)
    entries.splice(2, 0, ['sheets', doc.tables.map((t) => `${t.sheet} (${t.rows.length.toLocaleString('en')} rows × ${t.columns.length} columns)`).join('; ')])
    return { kind: doc.kind, format, fileName, bytes: await xlsxBytes(doc.tables, entries, now), provenance: null, rows }
  }
  if (doc.tables.length > 1) throw new Error(`A CSV holds one table; this export has ${doc.tables.length}: export it as xlsx`)
  const [table] = doc.tables
  const bytes = Buffer.from(tableCsv(table), 'utf8')
  return {
    kind: doc.kind,
    format,
    fileName,
    bytes,
    provenance: (name) => Buffer.from(provenanceText(doc.provenance, appVersion, { fileName: name, rows: table.rows.length, columns: table.columns.length }, now), 'utf8'),
    rows,
  }
}
