import path from 'node:path'
import type { OutputData } from 'h5wasm/node'
import { AppError } from '../../src-shared/contract'
import { checkCsrValues, checkPointers, GrowableEntries, invalidValueError, validateAndSortCsr, type MatrixLabels } from './csr'
import { isEnsemblId, fractionMatching, looksLikeGeneSymbol } from './gene-names'
import { Dataset, Group, openHdf5, type H5File } from './hdf5-file'
import { subProgress, throwIfCancelled, yieldToLoop, type ReadControl } from './progress'
import type { CsrMatrix, GearsUns, ObsColumn, RawDataset, UnsValue } from './raw-dataset'
import { invalidUtf8Warning } from './text-input'

/**
 * AnnData `.h5ad` reader on h5wasm. Handles both encoding generations: anndata ≤ 0.7 (categorical
 * codes plus `__categories/<col>`, `h5sparse_*` attributes, compound-typed dataframes) and 0.8+
 * (`encoding-type` attributes: categorical, string-array, nullable-*). Big arrays are read in blocks
 * so neither the wasm heap nor the JS heap ever holds a dense or second copy of X.
 */

export interface H5adReadOptions extends ReadControl {
  /** Leave `layers/counts` out (it doubles the memory when present). */
  skipCounts?: boolean
}

/** What the import wizard needs without reading X. */
export interface H5adSummary {
  cells: string[]
  genes: { id: string[]; symbol: string[] }
  obs: Record<string, ObsColumn>
  xEncoding: 'csr' | 'csc' | 'dense'
  hasCounts: boolean
  warnings: string[]
}

/** Elements per block read from a big dataset: 4 M values (16 MB as float32). */
const BLOCK = 1 << 22
const GEARS_KEYS = ['rank_genes_groups_cov_all', 'top_non_dropout_de_20', 'top_non_zero_de_20', 'non_dropout_gene_idx', 'non_zeros_gene_idx'] as const
/** var columns that usually hold gene symbols, most specific first. */
const SYMBOL_COLUMNS = ['gene_symbols', 'gene_symbol', 'gene_name', 'gene_names', 'feature_name', 'symbol', 'symbols', 'gene_short_name', 'gene', 'genes', 'name', 'features']
/** marks booleans that earlier versions of our writer stored as uint8 (it now writes h5py's boolean enum) */
export const BOOLEAN_TAG = 'perturb-studio-type'

// HDF5 datatype classes as h5wasm reports them
const T_INTEGER = 0
const T_FLOAT = 1
const T_STRING = 3
const T_ENUM = 8

interface Ctx {
  file: string
  name: string
  warnings: string[]
  control: ReadControl
}

export async function readH5ad(file: string, opts: H5adReadOptions = {}): Promise<RawDataset> {
  const f = await openHdf5(file)
  const ctx: Ctx = { file, name: path.basename(file), warnings: [], control: opts }
  try {
    return await readOpen(f, ctx, opts)
  } catch (err) {
    throw asAppError(err, ctx)
  } finally {
    f.close()
  }
}

/** Shape, obs and var of an `.h5ad` without reading the matrix (for the import preview). */
export async function summarizeH5ad(file: string): Promise<H5adSummary> {
  const f = await openHdf5(file)
  const ctx: Ctx = { file, name: path.basename(file), warnings: [], control: {} }
  try {
    const x = locateX(f, ctx)
    const { cells, obs, genes } = readAnnotations(f, ctx)
    const [nRows, nCols] = matrixShape(x.entity, ctx, x.label)
    checkShape(ctx, x.label, nRows, nCols, cells.length, genes.id.length)
    return { cells, genes, obs, xEncoding: matrixKind(x.entity, ctx, x.label), hasCounts: x.label !== 'layers/counts' && f.get('layers/counts') !== null, warnings: ctx.warnings }
  } catch (err) {
    throw asAppError(err, ctx)
  } finally {
    f.close()
  }
}

function asAppError(err: unknown, ctx: Ctx): AppError {
  if (err instanceof AppError) return err
  const message = String((err as Error)?.message ?? err)
  return new AppError('dataset.unreadable', `${ctx.name} could not be read (${message}). The file may be damaged or written by an unsupported tool; re-save it with anndata's write_h5ad.`)
}

async function readOpen(f: H5File, ctx: Ctx, opts: H5adReadOptions): Promise<RawDataset> {
  const progress = subProgress(opts, 0, 1)
  progress(0, 'reading cell and gene annotations')
  const x = locateX(f, ctx)
  const { cells, obs, genes } = readAnnotations(f, ctx)
  const labels = (matrix: string): MatrixLabels => ({ file: ctx.name, matrix, cell: (r) => `'${cells[r]}'`, gene: (c) => `'${genes.symbol[c]}'` })

  const countsEntity = opts.skipCounts || x.label === 'layers/counts' ? null : (f.get('layers/counts') as Dataset | Group | null)
  const xEnd = countsEntity ? 0.55 : 0.95
  const X = await readMatrix(x.entity, ctx, labels(x.label), cells.length, genes.id.length, subProgress(opts, 0.05, xEnd), `reading ${x.label}`)
  let counts: CsrMatrix | undefined
  if (countsEntity) counts = await readMatrix(countsEntity, ctx, labels('layers/counts'), cells.length, genes.id.length, subProgress(opts, 0.55, 0.95), 'reading layers/counts')

  progress(0.96, 'reading uns')
  const unsGroup = f.get('uns')
  const { gears, other } = unsGroup instanceof Group ? readUns(unsGroup, ctx) : { gears: undefined, other: undefined }
  progress(1, 'done')
  return {
    source: { path: ctx.file, format: 'h5ad' },
    X,
    ...(counts ? { counts } : {}),
    cells,
    genes,
    obs,
    ...(gears ? { uns: gears } : {}),
    ...(other ? { unsOther: other } : {}),
    warnings: ctx.warnings,
  }
}

function locateX(f: H5File, ctx: Ctx): { entity: Dataset | Group; label: string } {
  const keys = f.keys()
  const x = f.get('X')
  if (x instanceof Dataset || x instanceof Group) return { entity: x, label: 'X' }
  const counts = f.get('layers/counts')
  if (counts instanceof Dataset || counts instanceof Group) {
    ctx.warnings.push(`${ctx.name} has no X; the expression matrix was taken from layers/counts.`)
    return { entity: counts, label: 'layers/counts' }
  }
  if (keys.includes('matrix') && keys.includes('row_attrs')) {
    throw new AppError('dataset.no-matrix', `${ctx.name} is a .loom file, not an .h5ad. Convert it first (scanpy: sc.read_loom(path).write_h5ad(out)).`)
  }
  throw new AppError('dataset.no-matrix', `${ctx.name} has no X matrix (top-level entries: ${keys.join(', ') || 'none'}), so it is not an AnnData .h5ad. Save the data with anndata's write_h5ad.`)
}

function readAnnotations(f: H5File, ctx: Ctx): { cells: string[]; obs: Record<string, ObsColumn>; genes: { id: string[]; symbol: string[] } } {
  const obsFrame = readFrame(f, 'obs', ctx)
  const varFrame = readFrame(f, 'var', ctx)
  const cells = uniqueCellNames(obsFrame.index ?? defaultIndex(obsFrame.length, ctx, 'obs'), ctx)
  const ids = varFrame.index ?? defaultIndex(varFrame.length, ctx, 'var')
  warnIfReplaced(obsFrame.index, ctx, 'cell names (obs index)')
  warnIfReplaced(varFrame.index, ctx, 'gene names (var index)')
  return { cells, obs: obsFrame.columns, genes: { id: ids, symbol: chooseSymbols(ids, varFrame, ctx) } }
}

/** h5wasm decodes strings leniently: bytes that are not valid UTF-8 come back as U+FFFD. One warning per field. */
function warnIfReplaced(names: string[] | null, ctx: Ctx, field: string): void {
  if (names?.some((n) => n.includes('\uFFFD'))) ctx.warnings.push(invalidUtf8Warning(ctx.file, field))
}

function defaultIndex(n: number, ctx: Ctx, key: string): string[] {
  ctx.warnings.push(`${ctx.name}: ${key} has no index; rows are named 0..${n - 1}.`)
  return Array.from({ length: n }, (_, i) => String(i))
}

/** anndata allows repeated obs names; make them unique the way obs_names_make_unique does. */
function uniqueCellNames(names: string[], ctx: Ctx): string[] {
  const seen = new Map<string, number>()
  let repeated = 0
  const taken = new Set(names)
  const out = names.map((n) => {
    const k = seen.get(n)
    if (k === undefined) {
      seen.set(n, 0)
      return n
    }
    repeated++
    let next = k + 1
    while (taken.has(`${n}-${next}`)) next++
    seen.set(n, next)
    taken.add(`${n}-${next}`)
    return `${n}-${next}`
  })
  if (repeated > 0) ctx.warnings.push(`${ctx.name}: ${repeated} repeated cell names in obs were made unique by appending -1, -2, … (as anndata's obs_names_make_unique does).`)
  return out
}

/** The var index when it holds symbols, else the symbol-like column; empty symbols fall back to the id. */
function chooseSymbols(ids: string[], frame: Frame, ctx: Ctx): string[] {
  const indexIsSymbols = fractionMatching(ids, looksLikeGeneSymbol) >= 0.5
  if (!indexIsSymbols) {
    for (const name of SYMBOL_COLUMNS) {
      const col = frame.columns[name] ?? Object.entries(frame.columns).find(([k]) => k.toLowerCase() === name)?.[1]
      if (col?.type !== 'string') continue
      const values = col.values.map((v) => v ?? '')
      if (fractionMatching(values, looksLikeGeneSymbol) < 0.5) continue
      const colName = frame.columns[name] ? name : Object.keys(frame.columns).find((k) => k.toLowerCase() === name)
      const what = fractionMatching(ids, isEnsemblId) >= 0.5 ? 'Ensembl ids' : 'no gene symbols'
      ctx.warnings.push(`${ctx.name}: gene symbols taken from var column '${colName}' (the var index holds ${what}).`)
      return values.map((v, i) => v || ids[i])
    }
    if (fractionMatching(ids, isEnsemblId) >= 0.5) ctx.warnings.push(`${ctx.name}: the var index holds Ensembl ids and no gene-symbol column was found; genes are named by their Ensembl id.`)
  }
  return ids.slice()
}

// ---------------------------------------------------------------- dataframes

interface Frame {
  index: string[] | null
  columns: Record<string, ObsColumn>
  length: number
}

function readFrame(f: H5File, key: 'obs' | 'var', ctx: Ctx): Frame {
  const entity = f.get(key)
  if (entity instanceof Dataset) return readCompoundFrame(entity, f, key, ctx)
  if (!(entity instanceof Group)) throw new AppError('dataset.unreadable', `${ctx.name} has no ${key} table, so it is not a complete AnnData .h5ad. Re-save it with anndata's write_h5ad.`)
  const keys = entity.keys()
  const indexName = attrString(entity, '_index') ?? (keys.includes('_index') ? '_index' : keys.includes('index') ? 'index' : undefined)
  let index: string[] | null = null
  if (indexName !== undefined && keys.includes(indexName)) {
    index = readStringColumn(entity.get(indexName), ctx, `${key}/${indexName}`)
  }
  const order = attrStrings(entity, 'column-order')
  const names = order ?? keys.filter((k) => k !== indexName && !k.startsWith('__'))
  const columns: Record<string, ObsColumn> = {}
  let length = index?.length ?? -1
  for (const name of names) {
    if (name === indexName) continue
    const col = readColumn(entity, name, ctx, `${key}/${name}`)
    if (!col) continue
    const n = col.values.length
    if (length < 0) length = n
    if (n !== length) throw new AppError('dataset.dimension-mismatch', `${ctx.name}: ${key} column '${name}' has ${n} values but the ${key} index has ${length}. Re-save the file with anndata.`)
    columns[name] = col
  }
  return { index, columns, length: Math.max(length, 0) }
}

function readColumn(g: Group, name: string, ctx: Ctx, where: string): ObsColumn | null {
  // anndata ≤ 0.7: codes in the column, categories in __categories/<name>
  const oldCategories = g.get(`__categories/${name}`)
  return columnFromEntity(g.get(name), ctx, where, oldCategories instanceof Dataset ? oldCategories : undefined)
}

function columnFromEntity(e: unknown, ctx: Ctx, where: string, oldCategories?: Dataset): ObsColumn | null {
  if (e instanceof Group) {
    const enc = attrString(e, 'encoding-type')
    if (enc === 'categorical') return decodeCategorical(e.get('codes'), e.get('categories'), ctx, where)
    if (enc === 'nullable-integer' || enc === 'nullable-boolean' || enc === 'nullable-string-array') return readNullable(e, enc, ctx, where)
    ctx.warnings.push(`${ctx.name}: column ${where} has an unsupported encoding (${enc ?? 'none'}) and was skipped.`)
    return null
  }
  if (!(e instanceof Dataset)) return null
  const meta = e.metadata
  if (meta.type === T_STRING) return { type: 'string', values: readStringColumn(e, ctx, where) }
  if (oldCategories) return decodeCategorical(e, oldCategories, ctx, where)
  if (isBoolean(e)) return { type: 'boolean', values: Array.from(numbers(e.value, ctx, where), (v) => v !== 0) }
  if (meta.type === T_INTEGER || meta.type === T_FLOAT) return { type: 'number', values: numbers(e.value, ctx, where) }
  ctx.warnings.push(`${ctx.name}: column ${where} has an unsupported data type and was skipped.`)
  return null
}

function isBoolean(d: Dataset): boolean {
  const meta = d.metadata
  if (meta.type === T_ENUM) {
    const members = meta.enum_type?.members ?? {}
    return Object.keys(members).length === 2 && members.FALSE === 0 && members.TRUE === 1
  }
  return attrString(d, BOOLEAN_TAG) === 'boolean'
}

function decodeCategorical(codesEntity: unknown, catsEntity: unknown, ctx: Ctx, where: string): ObsColumn {
  if (!(codesEntity instanceof Dataset) || !(catsEntity instanceof Dataset)) {
    throw new AppError('dataset.unreadable', `${ctx.name}: categorical column ${where} lacks its codes or categories. Re-save the file with anndata.`)
  }
  const codes = numbers(codesEntity.value, ctx, where)
  const catValue = catsEntity.value
  const categories = Array.isArray(catValue) ? catValue.map(String) : Array.from(numbers(catValue, ctx, where), (v) => String(v))
  const values = new Array<string | null>(codes.length)
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]
    if (c < 0) values[i] = null
    else if (c < categories.length) values[i] = categories[c]
    else throw new AppError('dataset.unreadable', `${ctx.name}: categorical column ${where} has code ${c} at row ${i + 1} but only ${categories.length} categories. Re-save the file with anndata.`)
  }
  return { type: 'string', values }
}

function readNullable(g: Group, enc: string, ctx: Ctx, where: string): ObsColumn {
  const v = g.get('values')
  const m = g.get('mask')
  if (!(v instanceof Dataset) || !(m instanceof Dataset)) throw new AppError('dataset.unreadable', `${ctx.name}: nullable column ${where} lacks values or mask. Re-save the file with anndata.`)
  const mask = numbers(m.value, ctx, where)
  if (enc === 'nullable-string-array') {
    const s = readStringColumn(v, ctx, where)
    return { type: 'string', values: s.map((x, i) => (mask[i] ? null : x)) }
  }
  const values = numbers(v.value, ctx, where)
  if (enc === 'nullable-boolean') return { type: 'boolean', values: Array.from(values, (x, i) => (mask[i] ? null : x !== 0)) }
  return { type: 'number', values: values.map((x, i) => (mask[i] ? NaN : x)) }
}

/** anndata < 0.7 stored obs/var as one compound dataset; categories lived in uns/<col>_categories. */
function readCompoundFrame(d: Dataset, f: H5File, key: string, ctx: Ctx): Frame {
  const members = d.metadata.compound_type?.members ?? []
  const rows = (d.value ?? []) as OutputData[][]
  let index: string[] | null = null
  const columns: Record<string, ObsColumn> = {}
  members.forEach((m, j) => {
    const raw = rows.map((r) => r[j])
    if (m.name === 'index' || m.name === '_index') {
      index = raw.map(String)
      return
    }
    if (m.type === T_STRING) {
      columns[m.name] = { type: 'string', values: raw.map(String) }
      return
    }
    const nums = Float64Array.from(raw, (x) => Number(x))
    const cats = f.get(`uns/${m.name}_categories`)
    if (cats instanceof Dataset) {
      const c = (cats.value as unknown[]).map(String)
      columns[m.name] = { type: 'string', values: Array.from(nums, (x) => (x < 0 ? null : (c[x] ?? null))) }
    } else {
      columns[m.name] = { type: 'number', values: nums }
    }
  })
  ctx.warnings.push(`${ctx.name}: ${key} uses the pre-0.7 anndata layout (a compound table).`)
  return { index, columns, length: rows.length }
}

function readStringColumn(e: unknown, ctx: Ctx, where: string): string[] {
  if (!(e instanceof Dataset)) throw new AppError('dataset.unreadable', `${ctx.name}: ${where} is missing. Re-save the file with anndata.`)
  const v = e.value
  if (Array.isArray(v)) return v.map(String)
  if (ArrayBuffer.isView(v)) return Array.from(numbers(v, ctx, where), (x) => String(x))
  throw new AppError('dataset.unreadable', `${ctx.name}: ${where} is not a list of names. Re-save the file with anndata.`)
}

// ---------------------------------------------------------------- attributes and arrays

function attrValue(e: Dataset | Group, name: string): OutputData | null | undefined {
  const attrs = e.attrs
  return name in attrs ? attrs[name].value : undefined
}

function attrString(e: Dataset | Group, name: string): string | undefined {
  const v = attrValue(e, name)
  if (typeof v === 'string') return v
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0]
  return undefined
}

function attrStrings(e: Dataset | Group, name: string): string[] | undefined {
  const v = attrValue(e, name)
  if (v === undefined || v === null) return undefined
  if (typeof v === 'string') return [v]
  if (Array.isArray(v)) return v.map(String)
  // h5py writes an empty column-order as an empty float array
  return []
}

function attrNumbers(e: Dataset | Group, name: string): number[] | undefined {
  const v = attrValue(e, name)
  if (v === undefined || v === null) return undefined
  if (ArrayBuffer.isView(v)) return Array.from(v as ArrayLike<number | bigint>, Number)
  if (Array.isArray(v)) return v.map(Number)
  return [Number(v)]
}

type Numeric = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array

function isNumeric(v: unknown): v is Numeric {
  return ArrayBuffer.isView(v) && !(v instanceof DataView)
}

function numbers(v: OutputData | null, ctx: Ctx, where: string): Float64Array {
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return Float64Array.of(Number(v))
  if (!isNumeric(v)) throw new AppError('dataset.unreadable', `${ctx.name}: ${where} is not numeric. Re-save the file with anndata.`)
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Float64Array.from(v, Number)
  return Float64Array.from(v as ArrayLike<number>)
}

function copyInto(out: Float32Array | Int32Array, src: OutputData | null, at: number): void {
  if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    for (let i = 0; i < src.length; i++) out[at + i] = Number(src[i])
  } else if (isNumeric(src)) {
    out.set(src as ArrayLike<number>, at)
  } else {
    throw new Error('matrix block is not numeric')
  }
}

// ---------------------------------------------------------------- matrices

function matrixKind(e: Dataset | Group, ctx: Ctx, label: string): 'csr' | 'csc' | 'dense' {
  if (e instanceof Dataset) return 'dense'
  const enc = attrString(e, 'encoding-type') ?? attrString(e, 'h5sparse_format')
  if (enc === 'csr_matrix' || enc === 'csr') return 'csr'
  if (enc === 'csc_matrix' || enc === 'csc') return 'csc'
  throw new AppError('dataset.unsupported-matrix', `${ctx.name}: ${label} has encoding '${enc ?? 'none'}'; supported are CSR, CSC and dense matrices. Convert it with scipy before saving.`)
}

function matrixShape(e: Dataset | Group, ctx: Ctx, label: string): [number, number] {
  const shape = e instanceof Dataset ? e.shape : (attrNumbers(e, 'shape') ?? attrNumbers(e, 'h5sparse_shape'))
  if (!shape || shape.length !== 2) throw new AppError('dataset.unreadable', `${ctx.name}: ${label} is not a 2-D matrix (shape ${JSON.stringify(shape)}). Re-save the file with anndata.`)
  return [Number(shape[0]), Number(shape[1])]
}

function checkShape(ctx: Ctx, label: string, nRows: number, nCols: number, nCells: number, nGenes: number): void {
  if (nRows !== nCells || nCols !== nGenes) {
    throw new AppError(
      'dataset.dimension-mismatch',
      `${ctx.name}: ${label} is ${nRows} × ${nCols} but obs lists ${nCells} cells and var ${nGenes} genes. The file is inconsistent; re-save it with anndata.`,
    )
  }
}

type Progress = (fraction: number, message: string) => void

async function readMatrix(e: Dataset | Group, ctx: Ctx, labels: MatrixLabels, nCells: number, nGenes: number, progress: Progress, message: string): Promise<CsrMatrix> {
  const kind = matrixKind(e, ctx, labels.matrix)
  const [nRows, nCols] = matrixShape(e, ctx, labels.matrix)
  checkShape(ctx, labels.matrix, nRows, nCols, nCells, nGenes)
  if (kind === 'dense') return readDense(e as Dataset, ctx, labels, nRows, nCols, progress, message)
  const g = e as Group
  const parts = ['indptr', 'indices', 'data'].map((k) => g.get(k))
  if (!parts.every((p) => p instanceof Dataset)) {
    throw new AppError('dataset.unreadable', `${ctx.name}: sparse ${labels.matrix} lacks indptr, indices or data. Re-save the file with anndata.`)
  }
  const [indptrDs, indicesDs, dataDs] = parts as Dataset[]
  const ptr = numbers(indptrDs.value, ctx, `${labels.matrix}/indptr`)
  const major = kind === 'csr' ? nRows : nCols
  checkPointers(ptr, ctx.name, `${labels.matrix}/indptr`, kind === 'csr' ? 'row' : 'column')
  const nnz = ptr.length > 0 ? ptr[ptr.length - 1] : 0
  const nIndices = Number(indicesDs.shape?.[0] ?? 0)
  const nData = Number(dataDs.shape?.[0] ?? 0)
  if (ptr.length !== major + 1 || nIndices !== nnz || nData !== nnz) {
    throw new AppError(
      'dataset.dimension-mismatch',
      `${ctx.name}: sparse ${labels.matrix} is inconsistent (${ptr.length} pointers for ${major} ${kind === 'csr' ? 'rows' : 'columns'}, ${nIndices} indices, ${nData} values, last pointer ${nnz}). Re-save the file with anndata.`,
    )
  }
  if (nnz > 2 ** 31 - 1) throw new AppError('dataset.too-large', `${ctx.name}: ${labels.matrix} has ${nnz} non-zero values, more than Perturb Studio can hold (2^31).`)
  if (kind === 'csr') return readCsr(Int32Array.from(ptr), indicesDs, dataDs, ctx, labels, nRows, nCols, progress, message)
  return readCsc(Int32Array.from(ptr), indicesDs, dataDs, ctx, labels, nRows, nCols, progress, message)
}

async function readCsr(indptr: Int32Array, indicesDs: Dataset, dataDs: Dataset, ctx: Ctx, labels: MatrixLabels, nRows: number, nCols: number, progress: Progress, message: string): Promise<CsrMatrix> {
  const nnz = indptr[nRows]
  const m: CsrMatrix = { nRows, nCols, indptr, indices: new Int32Array(nnz), data: new Float32Array(nnz) }
  for (let s = 0; s < nnz; s += BLOCK) {
    throwIfCancelled(ctx.control.signal, ctx.file)
    const e = Math.min(nnz, s + BLOCK)
    copyInto(m.indices, indicesDs.slice([[s, e]]), s)
    copyInto(m.data, dataDs.slice([[s, e]]), s)
    progress(e / nnz, message)
    await yieldToLoop()
  }
  validateAndSortCsr(m, labels)
  checkCsrValues(m, labels)
  return m
}

/** CSC → CSR in two passes over the row indices, so only the CSR copy is ever whole in memory. */
async function readCsc(colptr: Int32Array, indicesDs: Dataset, dataDs: Dataset, ctx: Ctx, labels: MatrixLabels, nRows: number, nCols: number, progress: Progress, message: string): Promise<CsrMatrix> {
  const nnz = colptr[nCols]
  const indptr = new Int32Array(nRows + 1)
  const rows = new Int32Array(Math.min(BLOCK, nnz))
  for (let s = 0; s < nnz; s += BLOCK) {
    throwIfCancelled(ctx.control.signal, ctx.file)
    const e = Math.min(nnz, s + BLOCK)
    copyInto(rows, indicesDs.slice([[s, e]]), 0)
    for (let k = 0; k < e - s; k++) {
      const r = rows[k]
      if (r < 0 || r >= nRows) throw new AppError('dataset.invalid-matrix', `${ctx.name}: ${labels.matrix} (CSC) has row index ${r}, outside 0..${nRows - 1}. Re-save the file with anndata.`)
      indptr[r + 1]++
    }
    progress((0.4 * e) / nnz, message)
    await yieldToLoop()
  }
  for (let r = 0; r < nRows; r++) indptr[r + 1] += indptr[r]
  const next = indptr.slice(0, nRows)
  const indices = new Int32Array(nnz)
  const data = new Float32Array(nnz)
  const vals = new Float32Array(Math.min(BLOCK, nnz))
  let col = 0
  for (let s = 0; s < nnz; s += BLOCK) {
    throwIfCancelled(ctx.control.signal, ctx.file)
    const e = Math.min(nnz, s + BLOCK)
    copyInto(rows, indicesDs.slice([[s, e]]), 0)
    copyInto(vals, dataDs.slice([[s, e]]), 0)
    for (let k = s; k < e; k++) {
      while (colptr[col + 1] <= k) col++
      const v = vals[k - s]
      const r = rows[k - s]
      if (!(v >= 0 && v < Infinity)) throw invalidValueError(labels, v, r, col)
      const p = next[r]++
      indices[p] = col
      data[p] = v
    }
    progress(0.4 + (0.6 * e) / nnz, message)
    await yieldToLoop()
  }
  const m: CsrMatrix = { nRows, nCols, indptr, indices, data }
  validateAndSortCsr(m, labels)
  return m
}

async function readDense(d: Dataset, ctx: Ctx, labels: MatrixLabels, nRows: number, nCols: number, progress: Progress, message: string): Promise<CsrMatrix> {
  const indptr = new Int32Array(nRows + 1)
  const entries = new GrowableEntries()
  const rowsPerBlock = Math.max(1, Math.floor(BLOCK / Math.max(1, nCols)))
  const block = new Float32Array(rowsPerBlock * nCols)
  for (let r0 = 0; r0 < nRows; r0 += rowsPerBlock) {
    throwIfCancelled(ctx.control.signal, ctx.file)
    const r1 = Math.min(nRows, r0 + rowsPerBlock)
    copyInto(block, d.slice([[r0, r1], []]), 0)
    for (let r = r0; r < r1; r++) {
      const base = (r - r0) * nCols
      for (let c = 0; c < nCols; c++) {
        const v = block[base + c]
        if (v === 0) continue
        if (!(v > 0 && v < Infinity)) throw invalidValueError(labels, v, r, c)
        entries.push(c, v)
      }
      indptr[r + 1] = entries.length
    }
    progress(r1 / nRows, message)
    await yieldToLoop()
  }
  const { indices, data } = entries.take()
  return { nRows, nCols, indptr, indices, data }
}

// ---------------------------------------------------------------- uns

function readUns(g: Group, ctx: Ctx): { gears?: GearsUns; other?: Record<string, UnsValue> } {
  const gears: GearsUns = {}
  const other: Record<string, UnsValue> = {}
  for (const key of g.keys()) {
    const e = g.get(key)
    if ((GEARS_KEYS as readonly string[]).includes(key)) {
      const entry = readGearsEntry(e, key as (typeof GEARS_KEYS)[number], ctx)
      if (entry) Object.assign(gears, { [key]: entry })
      continue
    }
    const v = readUnsValue(e, ctx, `uns/${key}`)
    if (v !== undefined) other[key] = v
  }
  return { gears: Object.keys(gears).length ? gears : undefined, other: Object.keys(other).length ? other : undefined }
}

type GearsEntry = Record<string, string[]> | Record<string, number[]>

function readGearsEntry(e: unknown, key: (typeof GEARS_KEYS)[number], ctx: Ctx): GearsEntry | null {
  if (!(e instanceof Group)) {
    ctx.warnings.push(`${ctx.name}: uns/${key} is not a per-condition dictionary and was ignored.`)
    return null
  }
  const isIndex = key === 'non_dropout_gene_idx' || key === 'non_zeros_gene_idx'
  const out: Record<string, string[] | number[]> = {}
  for (const cond of e.keys()) {
    const d = e.get(cond)
    if (!(d instanceof Dataset)) continue
    const v = d.value
    out[cond] = isIndex ? Array.from(numbers(v, ctx, `uns/${key}/${cond}`)) : Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : Array.from(numbers(v, ctx, `uns/${key}/${cond}`), String)
  }
  return out as GearsEntry
}

function readUnsValue(e: unknown, ctx: Ctx, where: string): UnsValue | undefined {
  if (e instanceof Group) {
    const enc = attrString(e, 'encoding-type')
    if (enc === undefined || enc === 'dict') {
      const out: Record<string, UnsValue> = {}
      for (const k of e.keys()) {
        const v = readUnsValue(e.get(k), ctx, `${where}/${k}`)
        if (v !== undefined) out[k] = v
      }
      return out
    }
    if (enc === 'categorical' || enc.startsWith('nullable-')) {
      const col = columnFromEntity(e, ctx, where)
      if (!col) return undefined
      if (col.type === 'number') return col.values
      if (col.type === 'boolean') return Float64Array.from(col.values, (v) => (v === null ? NaN : Number(v)))
      return col.values.map((v) => v ?? '')
    }
    ctx.warnings.push(`${ctx.name}: ${where} (${enc}) is not supported in uns and was skipped.`)
    return undefined
  }
  if (!(e instanceof Dataset)) return undefined
  const meta = e.metadata
  const shape = e.shape ?? []
  const v = e.value
  if (meta.type === T_STRING) {
    if (typeof v === 'string') return v
    return reshape(v as string[], shape)
  }
  if (isBoolean(e)) {
    if (shape.length === 0) return Number(v) !== 0
    ctx.warnings.push(`${ctx.name}: ${where} is a boolean array, read as numbers 0/1.`)
  }
  if (meta.type === T_INTEGER || meta.type === T_FLOAT || meta.type === T_ENUM) {
    if (typeof v === 'number' || typeof v === 'bigint') return Number(v)
    if (!isNumeric(v)) return undefined
    return reshape(toUnsArray(v), shape)
  }
  ctx.warnings.push(`${ctx.name}: ${where} has a data type Perturb Studio does not read in uns (e.g. a record array) and was skipped.`)
  return undefined
}

function toUnsArray(v: Numeric): Float64Array | Float32Array | Int32Array {
  if (v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array) return v
  if (v instanceof Int8Array || v instanceof Uint8Array || v instanceof Int16Array || v instanceof Uint16Array) return Int32Array.from(v)
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Float64Array.from(v, Number)
  return Float64Array.from(v as ArrayLike<number>)
}

/** Flat array + shape → nested rows (typed-array rows are views into one buffer). */
function reshape<T extends string[] | Float64Array | Float32Array | Int32Array>(flat: T, shape: number[]): UnsValue {
  if (shape.length <= 1) return flat as UnsValue
  const inner = shape.slice(1)
  const size = inner.reduce((a, b) => a * b, 1)
  const rows: UnsValue[] = []
  for (let i = 0; i < shape[0]; i++) {
    const part = Array.isArray(flat) ? flat.slice(i * size, (i + 1) * size) : (flat as Float64Array).subarray(i * size, (i + 1) * size)
    rows.push(reshape(part as T, inner))
  }
  return rows
}
