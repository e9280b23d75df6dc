import path from 'node:path'
import { AppError } from '../../src-shared/contract'
import { inferColumn, joinCellMetadata, pickRows, readCellMetadata } from './cell-metadata'
import { csrFromCoo, describeValue, GrowableEntries, subsetRows } from './csr'
import { readCsvRecords, sniffFile, type Delimiter } from './csv'
import { fractionMatching, geneLikeScore, looksLikeGeneSymbol } from './gene-names'
import { subProgress, throwIfCancelled, yieldToLoop, type ReadControl } from './progress'
import type { CsrMatrix, ObsColumn, RawDataset } from './raw-dataset'
import { statForReading } from './file-access'
import { checkTextFile, isGzipFile, type Utf8Check } from './text-input'

/**
 * CSV/TSV expression tables, cells × genes or genes × cells. The orientation is detected from
 * whether the header or the first column looks like gene names, and offered to the user to confirm
 * (`orientation` overrides). Non-numeric columns of a cells × genes table are cell annotations
 * (a condition column); a separate metadata file joins on the cell ids like the 10x reader's.
 */

export type Orientation = 'cells-by-genes' | 'genes-by-cells'

export interface DelimitedLayout {
  delimiter: Delimiter
  /** header names; an unnamed first column (pandas index) is '' */
  header: string[]
  orientation: Orientation
  detected: Orientation
  /** why the detection chose this, for the user to confirm */
  reason: string
  /** annotation columns inside a cells × genes table (condition, guide…) */
  obsColumns: string[]
  /** for genes × cells: a second column holding gene symbols beside the ids */
  symbolColumn: string | null
  /** the first data rows as parsed (for the preview) */
  sampleRows: string[][]
}

export interface DelimitedReadOptions extends ReadControl {
  orientation?: Orientation
  /** separate cell-metadata file joined on the cell ids */
  metadata?: string | null
  barcodeColumn?: string
  /** annotation columns of a cells × genes table, when the detection should be overridden */
  obsColumns?: string[]
}

const SAMPLE_ROWS = 50
const MISSING_TOKENS = /^(|NA|NaN|nan|N\/A|null|None|inf|-inf|Inf|-Inf)$/
/** column names that are cell annotations even when numeric (replicate 1/2/3, dose 0.5…) */
const ANNOTATION_NAMES = /^(condition|perturbation|perturbations|target|targets|gene_target|target_gene|guide|guides|guide_id|sgrna|replicate|rep|batch|sample|cell_type|celltype|dose|dose_val|control|split|n_counts|n_genes|total_counts|library|lane|plate|well|donor|time|timepoint)$/i

export async function detectDelimitedLayout(file: string, opts: Pick<DelimitedReadOptions, 'orientation' | 'obsColumns'> = {}): Promise<DelimitedLayout> {
  checkTextFile(file, 'table')
  const name = path.basename(file)
  const delimiter = await sniffFile(file, 'table')
  const records: string[][] = []
  const lines: number[] = []
  for await (const { fields, line } of readCsvRecords(file, delimiter, 'table')) {
    records.push(fields)
    lines.push(line)
    if (records.length > SAMPLE_ROWS) break
  }
  if (records.length === 0) throw new AppError('dataset.empty', `The table ${name} has no lines.`)
  let header = records[0].map((h) => h.trim())
  const rows = records.slice(1)
  if (rows.length === 0) throw new AppError('dataset.empty', `The table ${name} has a header but no data rows.`)
  if (header.length < 2) throw new AppError('dataset.unreadable', `The table ${name} has a single column; an expression table needs an id column and at least one value column (delimiter: comma, tab or semicolon).`)
  if (rows[0].length === header.length + 1) header = ['', ...header]

  // missing-value tokens do not make a column an annotation: a gene column with NA must fail loudly later
  const isText = (v: string | undefined) => v !== undefined && !MISSING_TOKENS.test(v.trim()) && !Number.isFinite(Number(v))
  const nonNumeric = (j: number) => rows.some((r) => isText(r[j]))
  const candidates = header.map((_, j) => j).filter((j) => j > 0 && (nonNumeric(j) || ANNOTATION_NAMES.test(header[j])))
  const rest = header.filter((_, j) => j > 0 && !candidates.includes(j))
  const firstColumn = rows.map((r) => r[0].trim())
  const headerScore = geneLikeScore(rest)
  const columnScore = geneLikeScore(firstColumn)
  const detected: Orientation = headerScore >= columnScore ? 'cells-by-genes' : 'genes-by-cells'
  const ex = (names: string[]) => names.slice(0, 3).join(', ')
  const reason =
    Math.abs(headerScore - columnScore) < 0.2
      ? `Uncertain: neither the header (${ex(rest)}) nor the first column (${ex(firstColumn)}) clearly holds gene names; assumed ${detected === 'cells-by-genes' ? 'cells in rows' : 'genes in rows'}.`
      : detected === 'cells-by-genes'
        ? `The header holds gene names (${ex(rest)}) and the first column cell ids (${ex(firstColumn)}): cells in rows, genes in columns.`
        : `The first column holds gene names (${ex(firstColumn)}) and the header cell ids (${ex(rest)}): genes in rows, cells in columns.`
  const orientation = opts.orientation ?? detected

  let obsColumns: string[] = []
  let symbolColumn: string | null = null
  if (orientation === 'cells-by-genes') {
    if (opts.obsColumns === undefined) {
      const dataLines = lines.slice(1)
      for (const j of candidates) {
        if (!ANNOTATION_NAMES.test(header[j])) checkNotMostlyNumeric(name, header[j], rows.map((r) => r[j]), dataLines, rows.map((r) => r[0].trim()), isText)
      }
    }
    obsColumns = opts.obsColumns ?? candidates.map((j) => header[j])
    const unknown = obsColumns.filter((c) => !header.includes(c))
    if (unknown.length) throw new AppError('dataset.unknown-column', `The table ${name} has no column ${unknown.map((c) => `'${c}'`).join(', ')}. Its first columns are: ${header.slice(0, 8).map((h) => `'${h}'`).join(', ')}.`)
  } else {
    // genes in rows: a non-numeric second column is a gene annotation (symbols beside Ensembl ids)
    const annot = candidates.filter((j) => nonNumeric(j))
    const symbolCol = annot.find((j) => fractionMatching(rows.map((r) => r[j]), looksLikeGeneSymbol) >= 0.5)
    symbolColumn = symbolCol !== undefined ? header[symbolCol] : null
  }
  return { delimiter, header, orientation, detected, reason, obsColumns, symbolColumn, sampleRows: rows.slice(0, 10) }
}

/**
 * A column of a cells × genes table whose sampled values are mostly numbers, with a few cells of
 * text, is a gene column with bad cells, not a cell annotation: reading it as an annotation would
 * silently drop the gene. Names the offending cells (line, cell, value) and the two ways out.
 */
function checkNotMostlyNumeric(name: string, column: string, values: (string | undefined)[], lines: number[], cells: string[], isText: (v: string | undefined) => boolean): void {
  const bad: number[] = []
  let numbers = 0
  values.forEach((v, i) => {
    if (isText(v)) bad.push(i)
    else if (v !== undefined && v.trim() !== '' && !MISSING_TOKENS.test(v.trim())) numbers++
  })
  if (bad.length === 0 || numbers < bad.length) return
  const shown = bad.slice(0, 5).map((i) => `line ${lines[i]} (cell '${cells[i]}'): '${(values[i] ?? '').slice(0, 20)}'`)
  const more = bad.length > shown.length ? ` and ${bad.length - shown.length} more` : ''
  throw new AppError(
    'dataset.invalid-values',
    `${name}: column '${column}' holds numbers except ${bad.length === 1 ? 'one cell' : `${bad.length} cells`}: ${shown.join('; ')}${more}. ` +
      `Expression values must be finite numbers ≥ 0: replace ${bad.length === 1 ? 'that value' : 'those values'} with a number (0 for no counts). ` +
      `If '${column}' is a cell annotation rather than a gene, move it to a cell-metadata file and pass it with --metadata.`,
  )
}

export async function readDelimited(file: string, opts: DelimitedReadOptions = {}): Promise<RawDataset> {
  const layout = await detectDelimitedLayout(file, opts)
  const warnings: string[] = []
  const name = path.basename(file)
  if (opts.orientation === undefined) warnings.push(`${name}: ${layout.reason}`)
  const progress = subProgress(opts, 0, 0.95)
  const estimate = estimateLines(file, layout)
  const read = layout.orientation === 'cells-by-genes' ? readCellRows : readGeneRows
  const utf8 = { field: 'cell ids and gene names', warnings }
  const table = await read(file, layout, opts, (n) => progress(Math.min(0.99, n / estimate), `reading ${name}`), utf8)
  let { X, cells, obs } = table

  if (opts.metadata) {
    opts.onProgress?.(0.96, 'joining cell metadata')
    const meta = await readCellMetadata(opts.metadata, opts.barcodeColumn)
    const join = joinCellMetadata(cells, meta, name)
    warnings.push(...join.warnings)
    X = subsetRows(X, join.keep)
    const kept: Record<string, ObsColumn> = {}
    for (const [k, c] of Object.entries(obs)) kept[k] = pickRows(c, join.keep)
    for (const [k, c] of Object.entries(join.obs)) {
      if (k in kept) warnings.push(`Column '${k}' of ${path.basename(opts.metadata)} replaces the table's own column of that name.`)
      kept[k] = c
    }
    obs = kept
    cells = Array.from(join.keep, (i) => cells[i])
  }
  opts.onProgress?.(1, 'done')
  return { source: { path: file, format: 'csv' }, X, cells, genes: table.genes, obs, warnings }
}

interface TableRead {
  X: CsrMatrix
  cells: string[]
  genes: { id: string[]; symbol: string[] }
  obs: Record<string, ObsColumn>
}

function estimateLines(file: string, layout: DelimitedLayout): number {
  const bytes = statForReading(file, 'table').size * (isGzipFile(file, 'table') ? 4 : 1)
  const sample = layout.sampleRows.slice(0, 5)
  const avg = sample.reduce((s, r) => s + r.join(layout.delimiter).length + 1, 0) / Math.max(1, sample.length)
  return Math.max(1, bytes / Math.max(1, avg))
}

function badValue(file: string, line: number, value: string, cell: string, gene: string): AppError {
  const v = Number(value)
  const what = value.trim() === '' ? 'an empty field' : Number.isNaN(v) ? `'${value.slice(0, 20)}'` : describeValue(v)
  return new AppError('dataset.invalid-values', `${path.basename(file)}, line ${line}: ${what} for cell '${cell}', gene '${gene}'. Expression values must be finite numbers ≥ 0; fill missing values with 0 or remove the cell.`)
}

function checkWidth(file: string, fields: string[], width: number, line: number): void {
  if (fields.length !== width) {
    throw new AppError('dataset.unreadable', `${path.basename(file)}, line ${line}: ${fields.length} fields where the header has ${width}. Every row needs one value per column.`)
  }
}

/**
 * The table's data rows: the header skipped, each row's width checked. After every `every` rows
 * (once the caller has taken them) it reports progress, honours a cancel and yields to the loop.
 */
async function* dataRows(file: string, layout: DelimitedLayout, pace: { control: ReadControl; progress: (rows: number) => void; every: number }, utf8?: Utf8Check) {
  let rows = -1
  for await (const record of readCsvRecords(file, layout.delimiter, 'table', utf8)) {
    if (rows++ < 0) continue
    checkWidth(file, record.fields, layout.header.length, record.line)
    yield record
    if (rows % pace.every === 0) {
      throwIfCancelled(pace.control.signal, file)
      pace.progress(rows)
      await yieldToLoop()
    }
  }
}

async function readCellRows(file: string, layout: DelimitedLayout, control: ReadControl, progress: (rows: number) => void, utf8?: Utf8Check): Promise<TableRead> {
  const { header } = layout
  const obsIdx = layout.obsColumns.map((c) => header.indexOf(c))
  const geneIdx = header.map((_, j) => j).filter((j) => j > 0 && !obsIdx.includes(j))
  const geneNames = geneIdx.map((j) => header[j])
  const cells: string[] = []
  const seen = new Set<string>()
  const obsRaw = obsIdx.map(() => [] as string[])
  const indptr: number[] = [0]
  const entries = new GrowableEntries()
  for await (const { fields, line } of dataRows(file, layout, { control, progress, every: 500 }, utf8)) {
    const cell = fields[0].trim()
    if (seen.has(cell)) throw new AppError('dataset.duplicate-barcodes', `${path.basename(file)}, line ${line}: cell '${cell}' appears twice. Each cell needs a unique id in the first column.`)
    seen.add(cell)
    cells.push(cell)
    obsIdx.forEach((j, i) => obsRaw[i].push(fields[j]))
    for (let g = 0; g < geneIdx.length; g++) {
      const text = fields[geneIdx[g]]
      const v = text === '' ? NaN : Number(text)
      if (v === 0) continue
      if (!(v > 0 && v < Infinity)) throw badValue(file, line, text, cell, geneNames[g])
      entries.push(g, v)
    }
    indptr.push(entries.length)
  }
  const { indices, data } = entries.take()
  const obs: Record<string, ObsColumn> = {}
  layout.obsColumns.forEach((c, i) => (obs[c] = inferColumn(obsRaw[i])))
  return {
    X: { nRows: cells.length, nCols: geneIdx.length, indptr: Int32Array.from(indptr), indices, data },
    cells,
    genes: { id: geneNames, symbol: geneNames.slice() },
    obs,
  }
}

async function readGeneRows(file: string, layout: DelimitedLayout, control: ReadControl, progress: (rows: number) => void, utf8?: Utf8Check): Promise<TableRead> {
  const { header } = layout
  const symbolIdx = layout.symbolColumn !== null ? header.indexOf(layout.symbolColumn) : -1
  const cellIdx = header.map((_, j) => j).filter((j) => j > 0 && j !== symbolIdx)
  const cells = cellIdx.map((j) => header[j])
  const dup = cells.find((c, i) => cells.indexOf(c) !== i)
  if (dup !== undefined) throw new AppError('dataset.duplicate-barcodes', `${path.basename(file)}: cell '${dup}' appears twice in the header. Each cell needs a unique column name.`)
  const ids: string[] = []
  const symbols: string[] = []
  const geneptr: number[] = [0]
  const entries = new GrowableEntries()
  for await (const { fields, line } of dataRows(file, layout, { control, progress, every: 200 }, utf8)) {
    const gene = ids.length
    ids.push(fields[0].trim())
    symbols.push(symbolIdx >= 0 ? fields[symbolIdx].trim() || fields[0].trim() : fields[0].trim())
    for (let c = 0; c < cellIdx.length; c++) {
      const text = fields[cellIdx[c]]
      const v = text === '' ? NaN : Number(text)
      if (v === 0) continue
      if (!(v > 0 && v < Infinity)) throw badValue(file, line, text, cells[c], symbols[gene])
      entries.push(c, v)
    }
    geneptr.push(entries.length)
  }
  const { indices: cellOfEntry, data } = entries.take()
  const geneOf = new Int32Array(data.length)
  for (let g = 0; g < ids.length; g++) geneOf.fill(g, geneptr[g], geneptr[g + 1])
  // gene-major entries → CSR by cell; the stable counting sort keeps genes ascending within each cell
  const X = csrFromCoo(cells.length, ids.length, cellOfEntry, geneOf, data)
  return { X, cells, genes: { id: ids, symbol: symbols }, obs: {} }
}
