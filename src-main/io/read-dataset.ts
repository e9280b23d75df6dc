import path from 'node:path'
import { AppError } from '../../src-shared/contract'
import { inferColumn, joinCellMetadata, readCellMetadata } from './cell-metadata'
import { readCsvRecords } from './csv'
import { detectDelimitedLayout, readDelimited, type Orientation } from './delimited'
import { readH5ad, summarizeH5ad } from './h5ad-read'
import { readHead, statForReading } from './file-access'
import { checkHdf5File, describeContent, hasHdf5Signature } from './hdf5-file'
import type { ReadControl } from './progress'
import type { DatasetFormat, ObsColumn, RawDataset } from './raw-dataset'
import { locateTenxFiles, readTenx, summarizeTenx } from './tenx'
import { checkTextFile, headLines } from './text-input'

/** One entry point for every dataset format: detection by content, reading, and the wizard's preview. */

export type FormatChoice = 'auto' | DatasetFormat

export interface ReadDatasetOptions extends ReadControl {
  format?: FormatChoice
  /** cell-metadata CSV/TSV joined on barcode (10x, CSV); null: none, not even a `cells.csv` beside a 10x matrix */
  metadata?: string | null
  barcodeColumn?: string
  /** CSV only: overrides the detected orientation */
  orientation?: Orientation
  /** CSV only: annotation columns inside a cells × genes table */
  obsColumns?: string[]
}

export interface ObsColumnSummary {
  name: string
  type: ObsColumn['type']
  distinct: number
  /** most frequent values first (at most 5) */
  examples: string[]
}

export interface DatasetPreview {
  format: DatasetFormat
  path: string
  cells: number
  genes: number
  obsColumns: ObsColumnSummary[]
  /** the first cells with their annotations: `columns[0]` is the cell id */
  firstRows: { columns: string[]; rows: (string | number | boolean | null)[][] }
  /** first gene symbols */
  genePreview: string[]
  /** CSV: the detected orientation and why, for the user to confirm */
  layout?: { orientation: Orientation; detected: Orientation; reason: string; delimiter: string }
  /** 10x/CSV: the metadata file used (found beside a 10x matrix or given) */
  metadataFile?: string | null
  warnings: string[]
}

const HDF5_NAMES = /\.(h5ad|h5|hdf5|he5|loom)$/i
const PREVIEW_ROWS = 5

export async function detectFormat(p: string): Promise<DatasetFormat> {
  const stat = statForReading(p, 'dataset')
  if (stat.isDirectory()) {
    try {
      locateTenxFiles(p)
      return '10x'
    } catch (err) {
      const why = err instanceof AppError ? err.message : String(err)
      throw new AppError('dataset.unknown-format', `The folder ${p} is not a 10x folder: ${why}`)
    }
  }
  if (stat.size === 0) throw new AppError('dataset.empty', `${path.basename(p)} is empty (0 bytes). Copy or download the file again.`)
  const head = readHead(p, 4096 + 16, 'dataset')
  if (hasHdf5Signature(head)) return 'h5ad'
  // an .h5ad that is not HDF5 (a renamed text file, a failed download): say so instead of guessing
  if (HDF5_NAMES.test(p)) checkHdf5File(p)
  if (head.toString('latin1', 0, 4) === 'PK\u0003\u0004') throw new AppError('dataset.unknown-format', `${path.basename(p)} is a zip archive. Unpack it and choose the .h5ad file or the 10x folder inside.`)
  const gz = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b
  let firstLine: string
  if (gz) {
    firstLine = (await headLines(p, 1, 'dataset'))[0] ?? ''
  } else {
    if (head.subarray(0, 1024).includes(0)) throw new AppError('dataset.unknown-format', `${path.basename(p)} is not a supported dataset (${describeContent(head)}). Supported: AnnData .h5ad, a 10x folder (matrix.mtx, features.tsv, barcodes.tsv), CSV/TSV tables.`)
    firstLine = head.toString('utf8').split(/\r?\n/)[0]
  }
  if (firstLine.startsWith('%%MatrixMarket')) return '10x'
  // a features/barcodes file picked from a 10x folder: the folder is meant
  if (/(features|genes|barcodes)\.tsv(\.gz)?$/i.test(p)) {
    try {
      locateTenxFiles(path.dirname(p))
      return '10x'
    } catch {
      // not a complete 10x folder: treat as a table
    }
  }
  return 'csv'
}

export async function readDataset(p: string, opts: ReadDatasetOptions = {}): Promise<RawDataset> {
  const format = !opts.format || opts.format === 'auto' ? await detectFormat(p) : opts.format
  const control: ReadControl = { onProgress: opts.onProgress, signal: opts.signal }
  if (format === 'h5ad') return readH5ad(p, control)
  if (format === '10x') return readTenx(p, { ...control, metadata: opts.metadata, barcodeColumn: opts.barcodeColumn })
  return readDelimited(p, { ...control, metadata: opts.metadata, barcodeColumn: opts.barcodeColumn, orientation: opts.orientation, obsColumns: opts.obsColumns })
}

/** Cheap look at a dataset for the import wizard: counts, annotation columns, first rows. X is not read. */
export async function previewDataset(p: string, opts: ReadDatasetOptions = {}): Promise<DatasetPreview> {
  const format = !opts.format || opts.format === 'auto' ? await detectFormat(p) : opts.format
  if (format === 'h5ad') {
    const s = await summarizeH5ad(p)
    return { format, path: p, cells: s.cells.length, genes: s.genes.id.length, ...describeObs(s.cells, s.obs), genePreview: s.genes.symbol.slice(0, 10), warnings: s.warnings }
  }
  if (format === '10x') {
    const s = await summarizeTenx(p, { metadata: opts.metadata, barcodeColumn: opts.barcodeColumn })
    const described = s.metadata ? describeObs(s.metadata.barcodes, s.metadata.columns, s.metadata.barcodeColumn) : describeObs(s.barcodes, {})
    return { format, path: p, cells: s.cells, genes: s.genes, ...described, genePreview: s.symbols.slice(0, 10), metadataFile: s.metadata?.file ?? null, warnings: s.warnings }
  }
  return previewDelimited(p, opts)
}

async function previewDelimited(p: string, opts: ReadDatasetOptions): Promise<DatasetPreview> {
  checkTextFile(p, 'table')
  const layout = await detectDelimitedLayout(p, opts)
  const warnings: string[] = []
  const obsIdx = layout.obsColumns.map((c) => layout.header.indexOf(c))
  const cellIds: string[] = []
  const raw = obsIdx.map(() => [] as string[])
  let rows = 0
  let first = true
  // one pass for the row count and the annotation columns; expression values are not parsed
  for await (const { fields } of readCsvRecords(p, layout.delimiter, 'table')) {
    if (first) {
      first = false
      continue
    }
    rows++
    if (layout.orientation === 'cells-by-genes') {
      cellIds.push(fields[0])
      obsIdx.forEach((j, i) => raw[i].push(fields[j] ?? ''))
    }
  }
  const symbolIdx = layout.symbolColumn !== null ? layout.header.indexOf(layout.symbolColumn) : -1
  const dataCols = layout.header.length - 1 - (layout.orientation === 'cells-by-genes' ? obsIdx.length : symbolIdx >= 0 ? 1 : 0)
  let cells = layout.orientation === 'cells-by-genes' ? rows : dataCols
  const genes = layout.orientation === 'cells-by-genes' ? dataCols : rows
  const ids = layout.orientation === 'cells-by-genes' ? cellIds : layout.header.filter((_, j) => j > 0 && j !== symbolIdx)
  const obs: Record<string, ObsColumn> = {}
  layout.obsColumns.forEach((c, i) => (obs[c] = inferColumn(raw[i])))
  let described = describeObs(ids, obs)
  if (opts.metadata) {
    const meta = await readCellMetadata(opts.metadata, opts.barcodeColumn)
    const join = joinCellMetadata(ids, meta, path.basename(p))
    warnings.push(...join.warnings)
    cells = join.keep.length
    described = describeObs(meta.barcodes, { ...meta.columns }, meta.barcodeColumn)
    described.obsColumns.unshift(...describeObs(ids, obs).obsColumns)
  }
  const genePreview = layout.orientation === 'cells-by-genes' ? layout.header.filter((_, j) => j > 0 && !obsIdx.includes(j)).slice(0, 10) : layout.sampleRows.map((r) => (symbolIdx >= 0 ? r[symbolIdx] : r[0]))
  return {
    format: 'csv',
    path: p,
    cells,
    genes,
    ...described,
    genePreview,
    layout: { orientation: layout.orientation, detected: layout.detected, reason: layout.reason, delimiter: layout.delimiter },
    metadataFile: opts.metadata ?? null,
    warnings,
  }
}

function describeObs(ids: string[], obs: Record<string, ObsColumn>, idName = 'cell'): Pick<DatasetPreview, 'obsColumns' | 'firstRows'> {
  const names = Object.keys(obs)
  const obsColumns = names.map((name) => summarizeColumn(name, obs[name]))
  const rows = ids.slice(0, PREVIEW_ROWS).map((id, i) => [id, ...names.map((n) => cellValue(obs[n], i))])
  return { obsColumns, firstRows: { columns: [idName || 'cell', ...names], rows } }
}

function cellValue(col: ObsColumn, i: number): string | number | boolean | null {
  const v = col.values[i]
  return typeof v === 'number' && Number.isNaN(v) ? null : v
}

export function summarizeColumn(name: string, col: ObsColumn): ObsColumnSummary {
  const counts = new Map<string, number>()
  for (let i = 0; i < col.values.length; i++) {
    const v = cellValue(col, i)
    if (v === null) continue
    const k = String(v)
    counts.set(k, (counts.get(k) ?? 0) + 1)
  }
  const examples = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([k]) => k)
  return { name, type: col.type, distinct: counts.size, examples }
}
