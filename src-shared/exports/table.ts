/**
 * The one shape every table the app exports is built from — a prediction, a pair map, a guide
 * plan, a DE table, a run comparison — so each is written the same two ways, by the screens and
 * by the CLI:
 *
 * - **CSV**: one plain header row and the rows, nothing else (Excel and Prism open it as it is);
 *   where it came from goes in a sidecar beside it, `<name>.provenance.txt`, written with it.
 * - **Excel (.xlsx)**: one sheet per table with the same header row, numbers as numbers, and a
 *   `Provenance` sheet: one file that carries everything.
 *
 * A feature exports a table by building a `TableExport` and handing it to the core
 * (`export:table` from a screen, `tableFile` in src-main for the CLI and the services).
 */
import { csvText, type CsvCell } from './csv'
import type { Provenance } from './provenance'

export const TABLE_FORMATS = ['csv', 'xlsx'] as const
export type TableFormat = (typeof TABLE_FORMATS)[number]

export interface DataTable {
  /** the workbook sheet's name, e.g. `Prediction` (cut to 31 characters, made safe for Excel) */
  sheet: string
  /** the header row: identical in the CSV and the sheet */
  columns: string[]
  /** one value per column; numbers stay numbers, NaN/±∞ and null are empty cells */
  rows: CsvCell[][]
}

export interface TableExport {
  /** what the file holds, e.g. `prediction-table` (the exports record's kind) */
  kind: string
  /** suggested file name without extension, e.g. `prediction-run3-STAT1` */
  stem: string
  /** a CSV holds exactly one table; a workbook one sheet per table */
  tables: DataTable[]
  provenance: Provenance
}

/** Excel's limits: rows of a sheet (the header row included), columns, characters in a cell. */
export const XLSX_MAX_ROWS = 1_048_576
export const XLSX_MAX_COLUMNS = 16_384
export const XLSX_MAX_CELL_TEXT = 32_767

/** The sheet that carries the provenance in every workbook. */
export const PROVENANCE_SHEET = 'Provenance'

/**
 * A sheet name Excel accepts, unique in its workbook: no `[]:*?/\`, not blank, at most 31
 * characters, never `Provenance` for a data sheet (a clash gets ` (2)`, ` (3)`…).
 */
export function sheetName(name: string, taken: Set<string>): string {
  const base = name.replace(/[[\]:*?/\\]+/g, '-').replace(/^'+|'+$/g, '').trim().slice(0, 31) || 'Table'
  let out = base
  for (let i = 2; taken.has(out.toLowerCase()); i++) out = `${base.slice(0, 31 - ` (${i})`.length)} (${i})`
  taken.add(out.toLowerCase())
  return out
}

/** The CSV of one table: header row and rows, nothing else. */
export function tableCsv(table: DataTable): string {
  return csvText(table.columns, table.rows)
}
