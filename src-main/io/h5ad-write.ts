import fs from 'node:fs'
import path from 'node:path'
import { AppError } from '../../src-shared/contract'
import { atomicTarget } from './atomic-write'
import { BooleanWriter } from './hdf5-boolean'
import { createHdf5, type Dataset, type Group, type H5File } from './hdf5-file'
import { yieldToLoop } from './progress'
import type { CsrMatrix, GearsUns, ObsColumn, RawDataset, UnsValue } from './raw-dataset'

/**
 * Writes an AnnData 0.8-layout `.h5ad` (the encoding every anndata ≥ 0.8 reads): CSR `X`, optional
 * `layers/counts`, obs/var dataframes with `_index`, string columns as categoricals when values
 * repeat, and nested `uns` dictionaries. A `RawDataset` can be passed as is.
 *
 * Every attribute and dataset is typed as anndata (through h5py) writes it: strings as variable-length
 * UTF-8, booleans (a categorical's `ordered`, boolean columns and uns values) as h5py's boolean enum
 * (see `hdf5-boolean.ts`), so anndata 0.8 reads the file as well as newer versions do. Boolean
 * columns with missing values are categoricals 'False'/'True'.
 */

/**
 * A CSR matrix handed over in row blocks (each block a CsrMatrix of consecutive rows, its own
 * indptr starting at 0), so a writer never holds the whole matrix: the synthetic generator
 * streams 300 k-cell screens this way. The blocks' rows must add up to `nRows`.
 */
export interface CsrRowBlocks {
  nRows: number
  nCols: number
  blocks: () => AsyncIterable<CsrMatrix> | Iterable<CsrMatrix>
}

export const isCsrRowBlocks = (m: CsrMatrix | CsrRowBlocks): m is CsrRowBlocks => typeof (m as CsrRowBlocks).blocks === 'function'

export type H5adWriteInput = Pick<RawDataset, 'cells' | 'genes' | 'obs'> & {
  /** the whole matrix, or its rows block by block (written as they come) */
  X: CsrMatrix | CsrRowBlocks
  counts?: CsrMatrix
  /** extra var columns; `gene_name` (the symbols, which GEARS requires) is always written */
  var?: Record<string, ObsColumn>
  uns?: GearsUns | Record<string, UnsValue>
  /** merged into `uns` (so a `RawDataset` read by `readH5ad` writes back unchanged) */
  unsOther?: Record<string, UnsValue>
}

export interface H5adWriteOptions {
  /**
   * 'gzip' (level 4) for the numeric arrays, as `write_h5ad(compression='gzip')`: about 4× smaller,
   * but 3× slower to write and 1.5–2× slower to read on a norman-sized matrix. Default 'none', as anndata.
   */
  compression?: 'gzip' | 'none'
  onProgress?: (fraction: number, message: string) => void
}

const BLOCK = 1 << 22
const CHUNK = 1 << 16

export async function writeH5ad(file: string, data: H5adWriteInput, opts: H5adWriteOptions = {}): Promise<void> {
  const name = path.basename(file)
  validateInput(data, name)
  const dir = path.dirname(path.resolve(file))
  try {
    fs.accessSync(dir, fs.constants.W_OK)
  } catch {
    // checked up front: h5wasm would print the HDF5 error stack and fail obscurely
    throw new AppError('dataset.write-failed', `Cannot write ${name}: the folder ${dir} does not exist or is not writable. Nothing was written.`)
  }
  const out = atomicTarget(file)
  const partial = out.tmp
  let f: H5File | null = null
  try {
    f = await createHdf5(partial)
    const bools = new BooleanWriter()
    const w = new Writer(opts, bools)
    setEncoding(f, 'anndata', '0.1.0')
    opts.onProgress?.(0, 'writing X')
    if (isCsrRowBlocks(data.X)) await w.csrBlocks(f, 'X', data.X, name, 0, data.counts ? 0.45 : 0.9)
    else await w.csr(f, 'X', data.X, 0, data.counts ? 0.45 : 0.9)
    const layers = w.group(f, 'layers', 'dict', '0.1.0')
    if (data.counts) await w.csr(layers, 'counts', data.counts, 0.45, 0.9)
    opts.onProgress?.(0.9, 'writing obs and var')
    w.dataframe(f, 'obs', data.cells, data.obs)
    const symbols = data.genes.symbol ?? data.genes.id
    w.dataframe(f, 'var', data.genes.id, { gene_name: { type: 'string', values: symbols }, ...(data.var ?? {}) })
    for (const k of ['obsm', 'obsp', 'varm', 'varp']) w.group(f, k, 'dict', '0.1.0')
    const uns = w.group(f, 'uns', 'dict', '0.1.0')
    const entries: Record<string, unknown> = { ...(data.uns ?? {}), ...(data.unsOther ?? {}) }
    for (const [k, v] of Object.entries(entries)) if (v !== undefined) w.uns(uns, k, v, `uns/${k}`)
    f.close()
    f = null
    bools.apply(partial)
    out.commit()
    opts.onProgress?.(1, 'done')
  } catch (err) {
    try {
      f?.close()
    } catch {
      // already failing; the partial file is removed below
    }
    out.abort()
    if (err instanceof AppError) throw err
    throw new AppError('dataset.write-failed', `Could not write ${name} (${String((err as Error)?.message ?? err)}). Check that the folder exists and has free space; nothing was written.`)
  }
}

function validateInput(d: H5adWriteInput, name: string): void {
  const bad = (msg: string) => new AppError('dataset.write-invalid', `Cannot write ${name}: ${msg}`)
  const nCells = d.cells.length
  const nGenes = d.genes.id.length
  for (const [label, m] of [['X', d.X], ['layers/counts', d.counts]] as const) {
    if (!m) continue
    if (isCsrRowBlocks(m)) {
      if (m.nRows !== nCells || m.nCols !== nGenes) throw bad(`${label} is ${m.nRows} × ${m.nCols} but there are ${nCells} cells and ${nGenes} genes.`)
      continue
    }
    if (m.nRows !== nCells || m.nCols !== nGenes) throw bad(`${label} is ${m.nRows} × ${m.nCols} but there are ${nCells} cells and ${nGenes} genes.`)
    if (m.indptr.length !== m.nRows + 1 || m.indptr[m.nRows] !== m.indices.length || m.indices.length !== m.data.length) throw bad(`${label} is not a consistent CSR matrix.`)
  }
  if (d.genes.symbol && d.genes.symbol.length !== nGenes) throw bad(`${d.genes.symbol.length} gene symbols for ${nGenes} genes.`)
  if (new Set(d.cells).size !== nCells) throw bad('cell names must be unique.')
  for (const [label, cols, n] of [['obs', d.obs, nCells], ['var', d.var ?? {}, nGenes]] as const) {
    for (const [k, c] of Object.entries(cols)) {
      if (c.values.length !== n) throw bad(`${label} column '${k}' has ${c.values.length} values for ${n} rows.`)
      if (k.includes('/') || k === '_index' || k === '') throw bad(`${label} column name '${k}' is not allowed in HDF5.`)
    }
  }
}

function setEncoding(e: Group | Dataset, type: string, version: string): void {
  e.create_attribute('encoding-type', type)
  e.create_attribute('encoding-version', version)
}

class Writer {
  private readonly gzip: boolean
  constructor(
    private readonly opts: H5adWriteOptions,
    private readonly bools: BooleanWriter,
  ) {
    this.gzip = opts.compression === 'gzip'
  }

  group(parent: Group, name: string, type: string, version: string): Group {
    const g = parent.create_group(name)
    setEncoding(g, type, version)
    return g
  }

  async csr(parent: Group, name: string, m: CsrMatrix, from: number, to: number): Promise<void> {
    const g = this.group(parent, name, 'csr_matrix', '0.1.0')
    g.create_attribute('shape', new BigInt64Array([BigInt(m.nRows), BigInt(m.nCols)]))
    const nnz = m.data.length
    const total = 2 * nnz + 1
    await this.bigArray(g, 'data', m.data, '<f', (done) => this.opts.onProgress?.(from + ((to - from) * done) / total, `writing ${name}`))
    await this.bigArray(g, 'indices', m.indices, '<i', (done) => this.opts.onProgress?.(from + ((to - from) * (nnz + done)) / total, `writing ${name}`))
    this.array(g, 'indptr', m.indptr)
  }

  /**
   * CSR from row blocks: data and indices grow in chunked, resizable datasets as the blocks come
   * (one block in memory at a time); indptr is written at the end. Each block is checked as
   * `validateInput` checks a whole matrix.
   */
  async csrBlocks(parent: Group, name: string, m: CsrRowBlocks, file: string, from: number, to: number): Promise<void> {
    const bad = (msg: string) => new AppError('dataset.write-invalid', `Cannot write ${file}: ${name} ${msg}`)
    const g = this.group(parent, name, 'csr_matrix', '0.1.0')
    g.create_attribute('shape', new BigInt64Array([BigInt(m.nRows), BigInt(m.nCols)]))
    const grow = { maxshape: [null], chunks: [CHUNK], ...(this.gzip ? { compression: 4 } : {}) }
    const dataDs = g.create_dataset({ name: 'data', data: new Float32Array(0), dtype: '<f', ...grow })
    const indicesDs = g.create_dataset({ name: 'indices', data: new Int32Array(0), dtype: '<i', ...grow })
    const indptr = new Int32Array(m.nRows + 1)
    let row = 0
    let nnz = 0
    for await (const b of m.blocks()) {
      const n = b.indices.length
      if (b.nCols !== m.nCols || b.indptr.length !== b.nRows + 1 || b.indptr[0] !== 0 || b.indptr[b.nRows] !== n || b.data.length !== n) throw bad(`block at row ${row} is not a consistent CSR block.`)
      if (row + b.nRows > m.nRows) throw bad(`has more rows than the ${m.nRows} declared.`)
      if (nnz + n >= 2 ** 31) throw bad('has more than 2^31 stored values.')
      for (let r = 1; r <= b.nRows; r++) indptr[row + r] = nnz + b.indptr[r]
      if (n > 0) {
        dataDs.resize([nnz + n])
        indicesDs.resize([nnz + n])
        for (let s = 0; s < n; s += BLOCK) {
          const e = Math.min(n, s + BLOCK)
          dataDs.write_slice([[nnz + s, nnz + e]], b.data.subarray(s, e))
          indicesDs.write_slice([[nnz + s, nnz + e]], b.indices.subarray(s, e))
        }
      }
      row += b.nRows
      nnz += n
      this.opts.onProgress?.(from + ((to - from) * row) / Math.max(1, m.nRows), `writing ${name}`)
      await yieldToLoop()
    }
    if (row !== m.nRows) throw bad(`has ${row} of its ${m.nRows} rows.`)
    this.array(g, 'indptr', indptr)
  }

  /** Large arrays go in blocks into a chunked dataset, so the wasm heap never holds all of it. */
  private async bigArray(g: Group, name: string, values: Float32Array | Int32Array, dtype: string, progress: (done: number) => void): Promise<void> {
    if (values.length <= BLOCK) {
      this.array(g, name, values)
      return
    }
    const first = values.subarray(0, BLOCK)
    const ds = g.create_dataset({ name, data: first, dtype, maxshape: [null], chunks: [CHUNK], ...(this.gzip ? { compression: 4 } : {}) })
    ds.resize([values.length])
    for (let s = BLOCK; s < values.length; s += BLOCK) {
      const e = Math.min(values.length, s + BLOCK)
      ds.write_slice([[s, e]], values.subarray(s, e))
      progress(e)
      await yieldToLoop()
    }
  }

  private array(g: Group, name: string, values: Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array, shape?: number[]): Dataset {
    const compress = this.gzip && values.length >= 1024 && !shape
    const ds = g.create_dataset({ name, data: values, ...(shape ? { shape } : {}), ...(compress ? { chunks: [Math.min(CHUNK, values.length)], compression: 4 } : {}) })
    return ds
  }

  private strings(g: Group, name: string, values: string[], shape?: number[]): Dataset {
    const ds = g.create_dataset({ name, data: values, dtype: 'S', ...(shape ? { shape } : {}) })
    setEncoding(ds, 'string-array', '0.2.0')
    return ds
  }

  dataframe(parent: Group, name: string, index: string[], columns: Record<string, ObsColumn>): void {
    const g = this.group(parent, name, 'dataframe', '0.2.0')
    g.create_attribute('_index', '_index')
    const names = Object.keys(columns)
    // h5py stores an empty column list as an empty float array; so does anndata
    if (names.length) g.create_attribute('column-order', names, null, 'S')
    else g.create_attribute('column-order', new Float64Array(0))
    this.strings(g, '_index', index)
    for (const [k, col] of Object.entries(columns)) this.column(g, k, col)
  }

  private column(g: Group, name: string, col: ObsColumn): void {
    if (col.type === 'number') {
      setEncoding(this.array(g, name, Float64Array.from(col.values)), 'array', '0.2.0')
      return
    }
    if (col.type === 'boolean') {
      if (col.values.some((v) => v === null)) {
        this.categorical(g, name, col.values.map((v) => (v === null ? null : v ? 'True' : 'False')))
        return
      }
      const n = col.values.length
      const compress = this.gzip && n >= 1024 ? { chunks: [Math.min(CHUNK, n)], compression: 4 } : {}
      setEncoding(this.bools.dataset(g, name, col.values as boolean[], compress), 'array', '0.2.0')
      return
    }
    const distinct = new Set(col.values).size
    const hasNull = col.values.some((v) => v === null)
    // anndata's own rule of thumb (strings_to_categoricals): categorical when values repeat
    if (hasNull || distinct < col.values.length) this.categorical(g, name, col.values)
    else this.strings(g, name, col.values as string[])
  }

  private categorical(g: Group, name: string, values: (string | null)[]): void {
    const categories = [...new Set(values.filter((v): v is string => v !== null))].sort()
    const code = new Map(categories.map((c, i) => [c, i]))
    const n = categories.length
    const codes = n < 128 ? new Int8Array(values.length) : n < 32768 ? new Int16Array(values.length) : new Int32Array(values.length)
    values.forEach((v, i) => (codes[i] = v === null ? -1 : code.get(v)!))
    const cg = this.group(g, name, 'categorical', '0.2.0')
    this.bools.attribute(cg, 'ordered', false)
    this.strings(cg, 'categories', categories)
    setEncoding(this.array(cg, 'codes', codes), 'array', '0.2.0')
  }

  uns(g: Group, key: string, v: unknown, where: string): void {
    if (key === '' || key.includes('/')) throw unsError(where, `the key '${key}' is not allowed in HDF5 (empty or containing '/')`)
    if (typeof v === 'string') {
      setEncoding(g.create_dataset({ name: key, data: v, dtype: 'S' }), 'string', '0.2.0')
    } else if (typeof v === 'number') {
      const data = Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER ? new BigInt64Array([BigInt(v)]) : new Float64Array([v])
      setEncoding(g.create_dataset({ name: key, data, shape: [] }), 'numeric-scalar', '0.2.0')
    } else if (typeof v === 'boolean') {
      setEncoding(this.bools.dataset(g, key, [v], { shape: [] }), 'numeric-scalar', '0.2.0')
    } else if (ArrayBuffer.isView(v) || Array.isArray(v)) {
      this.unsArray(g, key, v as UnsValue[] | Float64Array, where)
    } else if (typeof v === 'object' && v !== null) {
      const sub = this.group(g, key, 'dict', '0.1.0')
      for (const [k, x] of Object.entries(v)) if (x !== undefined) this.uns(sub, k, x, `${where}/${k}`)
    } else {
      throw unsError(where, `${v === null ? 'null' : typeof v} values cannot be stored`)
    }
  }

  private unsArray(g: Group, key: string, v: ArrayLike<unknown>, where: string): void {
    const { flat, shape, kind } = flatten(v, where)
    if (kind === 'string') {
      this.strings(g, key, flat as string[], shape.length > 1 ? shape : undefined)
      return
    }
    let data: Float64Array | Float32Array | Int32Array
    if (flat instanceof Float32Array || flat instanceof Float64Array || flat instanceof Int32Array) data = flat
    else if (ArrayBuffer.isView(flat)) data = Float64Array.from(flat as ArrayLike<number>)
    else {
      const nums = flat as number[]
      data = nums.every((x) => Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31) ? Int32Array.from(nums) : Float64Array.from(nums)
    }
    setEncoding(this.array(g, key, data, shape.length > 1 ? shape : undefined), 'array', '0.2.0')
  }
}

function unsError(where: string, why: string): AppError {
  return new AppError('dataset.write-invalid', `Cannot write ${where}: ${why}. uns holds strings, numbers, booleans, rectangular arrays of numbers or strings, and records of these.`)
}

/** Rectangular nested arrays → one flat array + shape; anything ragged or mixed is refused. */
function flatten(v: ArrayLike<unknown>, where: string): { flat: unknown[] | ArrayLike<number>; shape: number[]; kind: 'number' | 'string' } {
  if (ArrayBuffer.isView(v)) return { flat: v as ArrayLike<number>, shape: [v.length], kind: 'number' }
  const arr = Array.from(v)
  if (arr.length === 0) return { flat: new Float64Array(0), shape: [0], kind: 'number' }
  if (arr.every((x) => typeof x === 'string')) return { flat: arr, shape: [arr.length], kind: 'string' }
  if (arr.every((x) => typeof x === 'number')) return { flat: arr, shape: [arr.length], kind: 'number' }
  if (arr.every((x) => Array.isArray(x) || ArrayBuffer.isView(x))) {
    const rows = arr.map((x) => flatten(x as ArrayLike<unknown>, where))
    const inner = rows[0].shape
    if (!rows.every((r) => r.kind === rows[0].kind && r.shape.join() === inner.join())) throw unsError(where, 'nested arrays must be rectangular and of one kind')
    const size = inner.reduce((a, b) => a * b, 1)
    // rows of one typed-array type keep that type (Float32 stays Float32)
    const first = rows[0].flat
    const Typed = ArrayBuffer.isView(first) && rows.every((r) => r.flat.constructor === first.constructor) ? (first.constructor as Float64ArrayConstructor) : null
    if (Typed) {
      const flat = new Typed(arr.length * size)
      rows.forEach((r, i) => flat.set(r.flat as ArrayLike<number>, i * size))
      return { flat, shape: [arr.length, ...inner], kind: 'number' }
    }
    const flat: unknown[] = []
    for (const r of rows) for (let i = 0; i < r.flat.length; i++) flat.push((r.flat as ArrayLike<unknown>)[i])
    return { flat, shape: [arr.length, ...inner], kind: rows[0].kind }
  }
  throw unsError(where, 'arrays must hold only numbers, only strings, or equal-length arrays (store a list of records as a record of arrays)')
}
