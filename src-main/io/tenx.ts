import path from 'node:path'
import { AppError } from '../../src-shared/contract'
import { joinCellMetadata, readCellMetadata, type CellMetadata } from './cell-metadata'
import { csrFromCoo, describeValue, subsetColumns, subsetRows, validateAndSortCsr } from './csr'
import { subProgress, throwIfCancelled, type ReadControl } from './progress'
import type { CsrMatrix, RawDataset } from './raw-dataset'
import { listFolder, statForReading } from './file-access'
import { checkTextFile, openBytes, readLines, streamError } from './text-input'

/**
 * 10x / Cell Ranger layout: `matrix.mtx(.gz)` (MatrixMarket coordinate, genes × cells, 1-based),
 * `features.tsv(.gz)` or legacy `genes.tsv(.gz)`, `barcodes.tsv(.gz)`, plus an optional cell-metadata
 * CSV joined on barcode. The matrix is streamed once and parsed from bytes.
 */

export interface TenxFiles {
  matrix: string
  features: string
  barcodes: string
}

export interface TenxReadOptions extends ReadControl {
  /** cell-metadata CSV/TSV; undefined: a `cells.csv`-like file beside the matrix is used if present; null: none */
  metadata?: string | null
  /** metadata column holding the barcodes (default: barcode/cell/cell_barcode…, else the first) */
  barcodeColumn?: string
}

export interface MtxHeader {
  field: 'integer' | 'real' | 'pattern'
  rows: number
  cols: number
  nnz: number
}

export interface TenxSummary {
  files: TenxFiles
  metadata: CellMetadata | null
  header: MtxHeader
  /** cells that will be imported (after the metadata join) */
  cells: number
  genes: number
  symbols: string[]
  barcodes: string[]
  warnings: string[]
}

const MATRIX = /(^|[_.-])matrix\.mtx(\.gz)?$/i
const FEATURES = /(^|[_.-])(features|genes)\.tsv(\.gz)?$/i
const BARCODES = /(^|[_.-])barcodes\.tsv(\.gz)?$/i
const METADATA = /^(cells|metadata|cell_metadata|cell-metadata|obs)\.(csv|tsv|txt)(\.gz)?$/i

/** Finds the three files in a folder (Cell Ranger names, also with a GEO-style `GSM…_` prefix). */
export function locateTenxFiles(input: string | TenxFiles): TenxFiles {
  if (typeof input !== 'string') return input
  const dir = statForReading(input, '10x folder').isDirectory() ? input : path.dirname(input)
  const names = listFolder(dir, '10x folder')
  const pick = (re: RegExp, what: string, fallback: string): string => {
    const found = names.filter((n) => re.test(n))
    if (found.length === 0) throw new AppError('dataset.missing-file', `The 10x folder ${dir} has no ${what} file (expected ${fallback}). Put the matrix, features and barcodes files of one sample in one folder.`)
    if (found.length > 1) {
      // prefer the plain Cell Ranger name when prefixed copies sit beside it
      const plain = found.filter((n) => re.test(n) && !/[_.-]/.test(n.split(/\.(mtx|tsv)/)[0].replace(/^(features|genes|barcodes|matrix)$/i, '')))
      if (plain.length === 1) return path.join(dir, plain[0])
      throw new AppError('dataset.ambiguous-files', `The 10x folder ${dir} has several ${what} files (${found.join(', ')}). Keep one sample per folder.`)
    }
    return path.join(dir, found[0])
  }
  return {
    matrix: pick(MATRIX, 'matrix', 'matrix.mtx or matrix.mtx.gz'),
    features: pick(FEATURES, 'features', 'features.tsv(.gz) or genes.tsv(.gz)'),
    barcodes: pick(BARCODES, 'barcodes', 'barcodes.tsv(.gz)'),
  }
}

/** A `cells.csv`-like metadata file next to the matrix, if there is exactly one. */
export function findMetadataBeside(files: TenxFiles): string | null {
  const dir = path.dirname(files.matrix)
  const found = listFolder(dir, '10x folder').filter((n) => METADATA.test(n))
  return found.length === 1 ? path.join(dir, found[0]) : null
}

export async function readFeatures(file: string, warnings?: string[]): Promise<{ ids: string[]; symbols: string[]; types: string[] }> {
  checkTextFile(file, 'features file')
  const ids: string[] = []
  const symbols: string[] = []
  const types: string[] = []
  for await (const line of readLines(file, 'features file', warnings && { field: 'gene names', warnings })) {
    if (line.trim() === '') continue
    const f = line.split('\t')
    ids.push(f[0].trim())
    symbols.push((f[1] ?? f[0]).trim() || f[0].trim())
    types.push((f[2] ?? 'Gene Expression').trim())
  }
  return { ids, symbols, types }
}

export async function readBarcodes(file: string, warnings?: string[]): Promise<string[]> {
  checkTextFile(file, 'barcodes file')
  const out: string[] = []
  const seen = new Map<string, number>()
  for await (const line of readLines(file, 'barcodes file', warnings && { field: 'barcodes', warnings })) {
    const b = line.split('\t')[0].trim()
    if (b === '') continue
    const first = seen.get(b)
    if (first !== undefined) {
      throw new AppError('dataset.duplicate-barcodes', `${path.basename(file)} lists barcode '${b}' twice (lines ${first} and ${out.length + 1}). Each cell needs a unique barcode; use the barcodes file Cell Ranger wrote.`)
    }
    out.push(b)
    seen.set(b, out.length)
  }
  return out
}

function parseBanner(line: string, file: string): MtxHeader['field'] {
  const parts = line.trim().split(/\s+/).map((p) => p.toLowerCase())
  const [, object, format, field, symmetry] = parts
  if (object !== 'matrix' || format !== 'coordinate') {
    throw new AppError('dataset.unsupported-matrix', `${path.basename(file)} is a MatrixMarket '${object} ${format}' file; only sparse 'matrix coordinate' files (what Cell Ranger writes) are supported.`)
  }
  if (field !== 'integer' && field !== 'real' && field !== 'pattern') {
    throw new AppError('dataset.unsupported-matrix', `${path.basename(file)} holds '${field}' values; expected integer or real counts.`)
  }
  if (symmetry !== 'general') throw new AppError('dataset.unsupported-matrix', `${path.basename(file)} is '${symmetry}'; an expression matrix must be 'general'.`)
  return field
}

function parseSizeLine(line: string, file: string): Omit<MtxHeader, 'field'> {
  const nums = line.trim().split(/\s+/).map(Number)
  if (nums.length !== 3 || !nums.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new AppError('dataset.unreadable', `${path.basename(file)} has no valid size line ('rows columns entries'); found '${line.slice(0, 60)}'. The file is damaged; export it again.`)
  }
  const [rows, cols, nnz] = nums
  if (nnz > 2 ** 31 - 1) throw new AppError('dataset.too-large', `${path.basename(file)} declares ${nnz} entries, more than Perturb Studio can hold (2^31).`)
  if (nnz > rows * cols) throw new AppError('dataset.unreadable', `${path.basename(file)} declares ${nnz} entries for a ${rows} × ${cols} matrix. The file is damaged; export it again.`)
  return { rows, cols, nnz }
}

/** Banner and size line only (stops reading early). */
export async function readMtxHeader(file: string): Promise<MtxHeader> {
  checkTextFile(file, 'matrix file')
  let field: MtxHeader['field'] | null = null
  let n = 0
  for await (const line of readLines(file, 'matrix file')) {
    n++
    if (n === 1) {
      if (!line.startsWith('%%MatrixMarket')) throw notMatrixMarket(file, line)
      field = parseBanner(line, file)
      continue
    }
    if (line.startsWith('%') || line.trim() === '') continue
    return { field: field!, ...parseSizeLine(line, file) }
  }
  throw new AppError('dataset.unreadable', `${path.basename(file)} ends before its size line. The file is truncated; copy it again.`)
}

function notMatrixMarket(file: string, line: string): AppError {
  return new AppError('dataset.unreadable', `${path.basename(file)} is not a MatrixMarket file (it starts with "${line.slice(0, 40)}"). Choose the matrix.mtx(.gz) Cell Ranger wrote.`)
}

/** Orientation of the mtx against features and barcodes: genes × cells (Cell Ranger) or transposed. */
function orient(h: MtxHeader, files: TenxFiles, nFeatures: number, nBarcodes: number, warnings: string[]): boolean {
  if (h.rows === nFeatures && h.cols === nBarcodes) return false
  if (h.rows === nBarcodes && h.cols === nFeatures) {
    warnings.push(`${path.basename(files.matrix)} is stored cells × genes (transposed from Cell Ranger's genes × cells); read accordingly.`)
    return true
  }
  throw new AppError(
    'dataset.dimension-mismatch',
    `${path.basename(files.matrix)} declares ${h.rows.toLocaleString('en-US')} rows × ${h.cols.toLocaleString('en-US')} columns, but ${path.basename(files.features)} lists ${nFeatures.toLocaleString('en-US')} features and ${path.basename(files.barcodes)} ${nBarcodes.toLocaleString('en-US')} barcodes. ` +
      'The three files must come from the same Cell Ranger output folder.',
  )
}

export async function summarizeTenx(input: string | TenxFiles, opts: TenxReadOptions = {}): Promise<TenxSummary> {
  const files = locateTenxFiles(input)
  const warnings: string[] = []
  const header = await readMtxHeader(files.matrix)
  const features = await readFeatures(files.features, warnings)
  const barcodes = await readBarcodes(files.barcodes, warnings)
  orient(header, files, features.ids.length, barcodes.length, warnings)
  const metadata = await loadMetadata(files, opts, warnings)
  let cells = barcodes.length
  if (metadata) {
    const join = joinCellMetadata(barcodes, metadata, path.basename(files.barcodes))
    cells = join.keep.length
    warnings.push(...join.warnings)
  }
  const keepGenes = geneExpressionOnly(features.types)
  if (keepGenes.length !== features.ids.length) warnings.push(featureTypeWarning(features.types, keepGenes.length))
  return { files, metadata, header, cells, genes: keepGenes.length, symbols: Array.from(keepGenes, (g) => features.symbols[g]), barcodes, warnings }
}

async function loadMetadata(files: TenxFiles, opts: TenxReadOptions, warnings: string[]): Promise<CellMetadata | null> {
  let file = opts.metadata
  if (file === undefined) {
    file = findMetadataBeside(files)
    if (file) warnings.push(`Cell metadata taken from ${path.basename(file)} beside the matrix.`)
  }
  return file ? readCellMetadata(file, opts.barcodeColumn) : null
}

/** Feature indices kept: only 'Gene Expression' when other feature types (antibody, guide capture) are mixed in. */
function geneExpressionOnly(types: string[]): Int32Array {
  const hasGex = types.some((t) => t === 'Gene Expression')
  const keep: number[] = []
  types.forEach((t, i) => {
    if (!hasGex || t === 'Gene Expression') keep.push(i)
  })
  return Int32Array.from(keep)
}

function featureTypeWarning(types: string[], kept: number): string {
  const other = [...new Set(types.filter((t) => t !== 'Gene Expression'))]
  return `${types.length - kept} features of type ${other.map((t) => `'${t}'`).join(', ')} were left out; only the ${kept} 'Gene Expression' features are used as genes.`
}

export async function readTenx(input: string | TenxFiles, opts: TenxReadOptions = {}): Promise<RawDataset> {
  const files = locateTenxFiles(input)
  const progress = subProgress(opts, 0, 1)
  const warnings: string[] = []
  progress(0, 'reading features and barcodes')
  checkTextFile(files.matrix, 'matrix file')
  const features = await readFeatures(files.features, warnings)
  const barcodes = await readBarcodes(files.barcodes, warnings)
  if (features.ids.length === 0) throw new AppError('dataset.empty', `${path.basename(files.features)} lists no features.`)
  if (barcodes.length === 0) throw new AppError('dataset.empty', `${path.basename(files.barcodes)} lists no barcodes.`)
  const metadata = await loadMetadata(files, opts, warnings)
  throwIfCancelled(opts.signal, files.matrix)

  let X = await readMtxBody(files, features, barcodes, warnings, { ...opts, onProgress: subProgress(opts, 0.05, 0.95) })

  const keepGenes = geneExpressionOnly(features.types)
  if (keepGenes.length !== features.ids.length) {
    warnings.push(featureTypeWarning(features.types, keepGenes.length))
    X = subsetColumns(X, keepGenes)
  }
  let cells = barcodes
  let obs: RawDataset['obs'] = {}
  if (metadata) {
    progress(0.96, 'joining cell metadata')
    const join = joinCellMetadata(barcodes, metadata, path.basename(files.barcodes))
    warnings.push(...join.warnings)
    X = subsetRows(X, join.keep)
    cells = Array.from(join.keep, (i) => barcodes[i])
    obs = join.obs
  }
  progress(1, 'done')
  return {
    source: { path: path.dirname(files.matrix), format: '10x' },
    X,
    cells,
    genes: { id: Array.from(keepGenes, (g) => features.ids[g]), symbol: Array.from(keepGenes, (g) => features.symbols[g]) },
    obs,
    warnings,
  }
}

/**
 * Streams the coordinate entries straight into typed arrays. Lines are parsed from the bytes:
 * node:readline would allocate one string per entry, several times slower on 10⁷–10⁸ entries.
 */
async function readMtxBody(files: TenxFiles, features: { ids: string[]; symbols: string[] }, barcodes: string[], warnings: string[], control: ReadControl): Promise<CsrMatrix> {
  const file = files.matrix
  const name = path.basename(file)
  const nGenes = features.ids.length
  const nCells = barcodes.length
  let header: MtxHeader | null = null
  let transposed = false
  let cellOf = new Int32Array(0)
  let geneOf = new Int32Array(0)
  let vals = new Float32Array(0)
  let count = 0
  let monotone = true
  let lastCell = 0
  let lineNo = 0
  let bannerSeen = false
  let sized = false

  const fail = (why: string, code = 'dataset.unreadable') => new AppError(code, `${name}, line ${lineNo}: ${why}. The file is damaged; export it again.`)

  const headerLine = (line: string) => {
    if (!bannerSeen) {
      if (!line.startsWith('%%MatrixMarket')) throw notMatrixMarket(file, line)
      bannerSeen = true
      header = { field: parseBanner(line, file), rows: 0, cols: 0, nnz: 0 }
      return
    }
    if (line.startsWith('%') || line.trim() === '') return
    const h: MtxHeader = { field: header!.field, ...parseSizeLine(line, file) }
    transposed = orient(h, files, nGenes, nCells, warnings)
    cellOf = new Int32Array(h.nnz)
    geneOf = new Int32Array(h.nnz)
    vals = new Float32Array(h.nnz)
    header = h
    sized = true
  }

  const body = (buf: Buffer, from: number, to: number) => {
    const h = header!
    const pattern = h.field === 'pattern'
    let pos = from
    while (pos < to) {
      let nl = buf.indexOf(10, pos)
      if (nl < 0 || nl > to) nl = to
      lineNo++
      let end = nl
      if (end > pos && buf[end - 1] === 13) end--
      const lineStart = pos
      let p = pos
      pos = nl + 1
      while (p < end && (buf[p] === 32 || buf[p] === 9)) p++
      if (p === end) continue
      if (buf[p] === 37) continue // '%' comment
      let a = 0
      let digits = 0
      let c: number
      while (p < end && (c = buf[p]) >= 48 && c <= 57) {
        a = a * 10 + c - 48
        p++
        digits++
      }
      if (!digits) throw fail(`expected 'row column value', found '${buf.toString('latin1', lineStart, Math.min(end, lineStart + 40))}'`)
      while (p < end && (buf[p] === 32 || buf[p] === 9)) p++
      let b = 0
      digits = 0
      while (p < end && (c = buf[p]) >= 48 && c <= 57) {
        b = b * 10 + c - 48
        p++
        digits++
      }
      if (!digits) throw fail(`expected 'row column value', found '${buf.toString('latin1', lineStart, Math.min(end, lineStart + 40))}'`)
      let v = 1
      if (!pattern) {
        while (p < end && (buf[p] === 32 || buf[p] === 9)) p++
        const s = p
        v = 0
        while (p < end && (c = buf[p]) >= 48 && c <= 57) {
          v = v * 10 + c - 48
          p++
        }
        // anything but a plain integer (decimals, exponents, signs, nan) takes the slow path
        if (p === s || (p < end && buf[p] !== 32 && buf[p] !== 9)) {
          let e = s
          while (e < end && buf[e] !== 32 && buf[e] !== 9) e++
          const text = buf.toString('latin1', s, e)
          v = text === '' ? NaN : Number(text)
        }
      }
      if (a < 1 || a > h.rows || b < 1 || b > h.cols) throw fail(`entry (${a}, ${b}) is outside the declared ${h.rows} × ${h.cols} matrix`, 'dataset.invalid-matrix')
      if (count >= h.nnz) throw fail(`more entries than the ${h.nnz} declared in the header`, 'dataset.invalid-matrix')
      const cell = transposed ? a - 1 : b - 1
      const gene = transposed ? b - 1 : a - 1
      if (!(v >= 0 && v < Infinity)) {
        throw new AppError(
          'dataset.invalid-values',
          `${name}, line ${lineNo}: ${describeValue(v)} for cell '${barcodes[cell]}', gene '${features.symbols[gene]}'. Counts must be finite and ≥ 0; use the raw count matrix Cell Ranger wrote.`,
        )
      }
      if (cell < lastCell) monotone = false
      lastCell = cell
      cellOf[count] = cell
      geneOf[count] = gene
      vals[count++] = v
    }
  }

  const input = openBytes(file, 'matrix file')
  let leftover: Buffer | null = null
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      throwIfCancelled(control.signal, file)
      const buf: Buffer = leftover ? Buffer.concat([leftover, chunk]) : chunk
      leftover = null
      let start = 0
      // header lines are few and short: handle them as strings
      while (!sized) {
        const nl = buf.indexOf(10, start)
        if (nl < 0) break
        lineNo++
        headerLine(buf.toString('utf8', start, nl).replace(/\r$/, ''))
        start = nl + 1
      }
      if (!sized) {
        leftover = buf.subarray(start)
        continue
      }
      const last = buf.lastIndexOf(10)
      if (last < start) {
        leftover = buf.subarray(start)
        continue
      }
      body(buf, start, last)
      if (last + 1 < buf.length) leftover = Buffer.from(buf.subarray(last + 1))
      control.onProgress?.(header!.nnz ? count / header!.nnz : 1, `reading ${name}`)
    }
    if (leftover && leftover.length) {
      if (sized) body(leftover, 0, leftover.length)
      else {
        lineNo++
        headerLine(leftover.toString('utf8').replace(/\r$/, ''))
      }
    }
  } catch (err) {
    throw streamError(err, file, 'matrix file')
  } finally {
    input.destroy()
  }
  if (!bannerSeen) throw new AppError('dataset.empty', `${name} has no content.`)
  if (!sized) throw new AppError('dataset.unreadable', `${name} ends before its size line. The file is truncated; copy it again.`)
  const h = (header as MtxHeader | null)!
  if (count < h.nnz) {
    throw new AppError('dataset.unreadable', `${name} ends after ${count.toLocaleString('en-US')} of the ${h.nnz.toLocaleString('en-US')} entries its header declares. The file is truncated; copy it again.`)
  }
  let m: CsrMatrix
  if (monotone) {
    const indptr = new Int32Array(nCells + 1)
    for (let k = 0; k < count; k++) indptr[cellOf[k] + 1]++
    for (let r = 0; r < nCells; r++) indptr[r + 1] += indptr[r]
    m = { nRows: nCells, nCols: nGenes, indptr, indices: geneOf, data: vals }
  } else {
    m = csrFromCoo(nCells, nGenes, cellOf, geneOf, vals, count)
  }
  validateAndSortCsr(m, { file: name, matrix: 'the matrix', cell: (r) => `'${barcodes[r]}'`, gene: (g) => `'${features.symbols[g]}'` })
  return m
}
