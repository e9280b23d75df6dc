import { csvText, type CsvCell } from '../../src-shared/exports/csv'
import type { DataTable, TableExport, TableFormat } from '../../src-shared/exports/table'
import { api } from '../api/client'
import { deliverSaved, type ExportNote } from './download'
import type { Provenance } from './provenance'

// The builder lives in src-shared so the CLI writes identical files; re-exported for the screens.
export { csvText, type CsvCell, type DataTable, type TableFormat }

/**
 * Exports a screen's table(s) through the core (`export:table`), so it is the CLI's file: `csv`
 * (plain header row; the provenance in `<name>.provenance.txt`, downloaded or saved beside it) or
 * `xlsx` (one sheet per table and a Provenance sheet). A CSV holds one table. `kind` names the
 * export in the data folder's records (`run-comparison`, `de-table`, …). Returns what to tell the
 * user; null when they cancelled the save dialog.
 */
export async function downloadTable(doc: TableExport, format: TableFormat = 'csv', ids: { projectId?: number; runId?: number } = {}): Promise<ExportNote | null> {
  const { kind, tables, provenance } = doc
  const fileName = `${doc.stem.replace(/\.(csv|xlsx)$/i, '')}.${format}`
  // Empty cells cross the bridge as null (structured clone keeps undefined and NaN, which the contract refuses).
  const clean = tables.map((t) => ({ ...t, rows: t.rows.map((r) => r.map((v) => (v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? null : v))) }))
  return deliverSaved(await api.call('export:table', { kind, format, fileName, tables: clean, provenance, ...ids }))
}

/** One table as CSV, its provenance in a sidecar beside it (`downloadTable` with one table). */
export function downloadCsv(filename: string, columns: string[], rows: CsvCell[][], provenance: Provenance, kind = 'table'): Promise<ExportNote | null> {
  return downloadTable({ kind, stem: filename, tables: [{ sheet: 'Table', columns, rows }], provenance }, 'csv')
}
