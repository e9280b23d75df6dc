/**
 * Stores a PreparedDataset in one folder: raw little-endian typed-array files (gene indices as
 * uint16 when there are ≤ 65,536 genes) plus `manifest.json` with the format version, the
 * metadata and a SHA-256 per file. Saving writes a sibling temp folder and renames it into place,
 * so a folder is either complete or absent; loading checks every size and checksum and answers
 * `dataset.storage-corrupt` for anything missing or altered. The temp folder's name carries the
 * writing process (host and pid), so one left by a killed process is recognised and swept at start
 * (`sweepPartialDatasets`).
 */
import { createHash, randomBytes } from 'node:crypto'
import fsSync from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { AppError } from '../../../src-shared/contract/envelope'
import type { CsrMatrix } from '../../io/raw-dataset'
import type { ConditionStats, DeEntry, PreparedDataset } from './prepared-dataset'
import { concatTyped } from '../../io/typed-arrays'
import { decodeCellGuides, encodeCellGuides, type StoredCellGuides } from './cell-guides'

export const DATASET_FORMAT = 'perturb-studio.prepared-dataset'
export const DATASET_FORMAT_VERSION = 1
const MANIFEST = 'manifest.json'

type Dtype = 'int32' | 'uint16' | 'float32' | 'json'
type TypedArray = Int32Array | Uint16Array | Float32Array

interface FileEntry {
  dtype: Dtype
  bytes: number
  sha256: string
}

interface StoredDe {
  ranking: number
  nonZeros: number
  nonDropout: number
  topNonDropout: number
  topNonZero: number
  scores: boolean
}

export interface DatasetManifest {
  format: typeof DATASET_FORMAT
  version: number
  endianness: 'little'
  createdAt: string
  shape: { cells: number; genes: number; conditions: number; nnz: number }
  files: Record<string, FileEntry>
  source: PreparedDataset['source']
  genes: PreparedDataset['genes']
  conditions: (Omit<ConditionStats, 'de'> & { de: StoredDe | null })[]
  normalisation: PreparedDataset['normalisation']
  hvgSelected: boolean
  hvg: PreparedDataset['hvg']
  perturbedGenesNotMeasured: string[]
  deSource: PreparedDataset['deSource']
  droppedCells: number
  warnings: string[]
  /** the guide and replicate columns kept in `cell-guides.json`; absent when the dataset has none (or was stored before they were kept) */
  cellGuides?: { guideColumn: string; replicateColumn: string | null }
}

/** Optional file: per-cell guide ids and replicates (format 1 stays readable by earlier versions, which ignore it). */
const CELL_GUIDES = 'cell-guides.json'

const DE_PARTS = ['ranking', 'nonZeros', 'nonDropout', 'topNonDropout', 'topNonZero'] as const
const DE_FIELDS: Record<(typeof DE_PARTS)[number], keyof DeEntry> = {
  ranking: 'ranking',
  nonZeros: 'nonZerosGeneIdx',
  nonDropout: 'nonDropoutGeneIdx',
  topNonDropout: 'topNonDropoutDe20',
  topNonZero: 'topNonZeroDe20',
}

const bytesOf = (a: TypedArray | Buffer) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

/** Saves `dataset` as folder `dir` (created; replaced only with `overwrite`). Returns the bytes written. */
export async function saveDataset(dir: string, dataset: PreparedDataset, options: { overwrite?: boolean } = {}): Promise<{ bytes: number }> {
  if (!os.endianness().startsWith('LE')) throw new AppError('dataset.storage-failed', 'Datasets are stored little-endian; this machine is big-endian.')
  const exists = await fs.stat(dir).then(
    () => true,
    () => false,
  )
  if (exists && !options.overwrite) throw new AppError('dataset.storage-exists', `${dir} already exists; delete that dataset first or save under another folder.`)

  const d = dataset
  const G = d.genes.id.length
  const index = (a: Int32Array): Int32Array | Uint16Array => {
    if (G > 65536) return a
    const small = new Uint16Array(a.length)
    small.set(a) // converts natively; Uint16Array.from is far slower at 10⁸ values
    return small
  }
  const withDe = d.conditions.filter((c) => c.de)
  const deOf = (c: ConditionStats) => c.de as DeEntry
  const arrays: Record<string, TypedArray> = {
    'x-indptr': d.X.indptr,
    'x-indices': index(d.X.indices),
    'x-data': d.X.data,
    'cell-condition': d.cellCondition,
    'control-mean': d.controlMean,
    'condition-means': d.conditionMeans,
    'de-scores': concatTyped(
      withDe.flatMap((c) => (deOf(c).scores ? [deOf(c).scores as Float32Array] : [])),
      (n) => new Float32Array(n),
    ),
  }
  for (const part of DE_PARTS) {
    arrays[`de-${part}`] = index(
      concatTyped(
        withDe.map((c) => deOf(c)[DE_FIELDS[part]] as Int32Array),
        (n) => new Int32Array(n),
      ),
    )
  }

  const manifest: DatasetManifest = {
    format: DATASET_FORMAT,
    version: DATASET_FORMAT_VERSION,
    endianness: 'little',
    createdAt: new Date().toISOString(),
    shape: { cells: d.cells.length, genes: G, conditions: d.conditions.length, nnz: d.X.data.length },
    files: {},
    source: d.source,
    genes: d.genes,
    conditions: d.conditions.map((c) => ({
      condition: c.condition,
      genes: c.genes,
      cells: c.cells,
      de: c.de
        ? {
            ranking: c.de.ranking.length,
            nonZeros: c.de.nonZerosGeneIdx.length,
            nonDropout: c.de.nonDropoutGeneIdx.length,
            topNonDropout: c.de.topNonDropoutDe20.length,
            topNonZero: c.de.topNonZeroDe20.length,
            scores: c.de.scores !== null,
          }
        : null,
    })),
    normalisation: d.normalisation,
    hvgSelected: d.hvgSelected,
    hvg: d.hvg,
    perturbedGenesNotMeasured: d.perturbedGenesNotMeasured,
    deSource: d.deSource,
    droppedCells: d.droppedCells,
    warnings: d.warnings,
    ...(d.cellGuides ? { cellGuides: { guideColumn: d.cellGuides.guideColumn, replicateColumn: d.cellGuides.replicateColumn } } : {}),
  }

  const tmp = path.join(path.dirname(dir), partialName(path.basename(dir)))
  let bytes = 0
  try {
    await fs.mkdir(tmp, { recursive: true })
    const write = async (name: string, dtype: Dtype, content: Uint8Array) => {
      await fs.writeFile(path.join(tmp, name), content)
      manifest.files[name] = { dtype, bytes: content.byteLength, sha256: sha256(content) }
      bytes += content.byteLength
    }
    for (const [name, a] of Object.entries(arrays)) {
      const dtype: Dtype = a instanceof Uint16Array ? 'uint16' : a instanceof Int32Array ? 'int32' : 'float32'
      await write(`${name}.bin`, dtype, bytesOf(a))
    }
    await write('cells.json', 'json', Buffer.from(JSON.stringify(d.cells)))
    if (d.cellGuides) await write(CELL_GUIDES, 'json', Buffer.from(JSON.stringify(encodeCellGuides(d.cellGuides))))
    const manifestBytes = Buffer.from(JSON.stringify(manifest))
    await fs.writeFile(path.join(tmp, MANIFEST), manifestBytes)
    bytes += manifestBytes.byteLength
    if (exists) {
      // Swap in the new folder, then drop the old one: a crash leaves one complete version.
      const old = `${tmp}-old`
      await fs.rename(dir, old)
      await fs.rename(tmp, dir)
      await fs.rm(old, { recursive: true, force: true })
    } else {
      await fs.rename(tmp, dir)
    }
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => {})
    if (err instanceof AppError) throw err
    throw new AppError('dataset.storage-failed', `Could not store the dataset in ${dir}: ${(err as Error).message}. Check free disk space and permissions, then import again.`)
  }
  return { bytes }
}

/** This process, as partial folder names record it: the host (unsafe characters replaced) and the pid. */
const writer = () => `${os.hostname().replace(/[^A-Za-z0-9.]/g, '_') || 'host'}-${process.pid}`

/** `.<name>.partial-<host>-<pid>-<12 hex>`: the temp folder `saveDataset` writes before renaming it to `<name>`. */
function partialName(name: string): string {
  return `.${name}.partial-${writer()}-${randomBytes(6).toString('hex')}`
}

/**
 * A partial folder: `.<name>.partial-[<host>-<pid>-]<12 hex>[-old]` (earlier versions wrote no host
 * and pid). `-old` is the previous version moved aside while an overwrite swaps the new one in.
 */
const PARTIAL = /^\.(.+?)\.partial-(?:(.+)-(\d+)-)?([0-9a-f]{12})(-old)?$/

/** Partial folders of unknown writers (another host, or an earlier version) are swept only when this old. */
export const PARTIAL_MIN_AGE_MS = 60 * 60 * 1000

export interface PartialSweep {
  /** partial folders removed */
  removed: string[]
  /** `-old` folders renamed back to their dataset folder (a crash in the middle of an overwrite) */
  restored: string[]
  /** partial folders left alone: a live process of this host may still be writing them, or they are recent */
  kept: string[]
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Newest modification time of a folder and its direct entries (a file being written updates only its own). */
function newestMtime(dir: string): number {
  let newest = fsSync.statSync(dir).mtimeMs
  for (const name of fsSync.readdirSync(dir)) {
    try {
      newest = Math.max(newest, fsSync.lstatSync(path.join(dir, name)).mtimeMs)
    } catch {
      // removed meanwhile
    }
  }
  return newest
}

/**
 * Removes the partial folders that `saveDataset` leaves under `root` when its process is killed
 * (kill -9, power loss) before the rename: only names of that pattern, and only when their writer
 * is gone: a dead pid on this host, or, when the writer cannot be checked (another host, a name
 * without pid), no change for `minAgeMs`. An `-old` folder whose dataset folder is missing is the
 * previous complete version of a crashed overwrite: it is renamed back when `stillUsed(name)` says
 * a dataset still refers to that folder (default: yes), removed otherwise.
 */
export function sweepPartialDatasets(root: string, options: { minAgeMs?: number; now?: number; stillUsed?: (name: string) => boolean } = {}): PartialSweep {
  const out: PartialSweep = { removed: [], restored: [], kept: [] }
  let names: string[]
  try {
    names = fsSync.readdirSync(root)
  } catch {
    return out
  }
  const now = options.now ?? Date.now()
  const minAge = options.minAgeMs ?? PARTIAL_MIN_AGE_MS
  const host = writer().replace(/-\d+$/, '')
  for (const name of names) {
    const m = PARTIAL.exec(name)
    if (!m) continue
    const dir = path.join(root, name)
    try {
      if (!fsSync.lstatSync(dir).isDirectory()) continue
      const [, target, writerHost, pid] = m
      const gone = writerHost === host && pid !== undefined ? !isAlive(Number(pid)) : now - newestMtime(dir) >= minAge
      if (!gone) {
        out.kept.push(name)
        continue
      }
      const targetDir = path.join(root, target)
      if (m[5] && !fsSync.existsSync(targetDir) && (options.stillUsed?.(target) ?? true)) {
        fsSync.renameSync(dir, targetDir)
        out.restored.push(name)
      } else {
        fsSync.rmSync(dir, { recursive: true, force: true })
        out.removed.push(name)
      }
    } catch {
      // vanished or not removable now: the next start tries again
      out.kept.push(name)
    }
  }
  return out
}

function corrupt(dir: string, what: string): AppError {
  return new AppError('dataset.storage-corrupt', `The stored dataset in ${dir} is damaged (${what}). Delete it and import the file again.`)
}

/** Reads and checks `manifest.json` only (for listings that need no arrays). */
export async function readDatasetManifest(dir: string): Promise<DatasetManifest> {
  let text: string
  try {
    text = await fs.readFile(path.join(dir, MANIFEST), 'utf8')
  } catch {
    throw corrupt(dir, `${MANIFEST} is missing or unreadable`)
  }
  let m: DatasetManifest
  try {
    m = JSON.parse(text) as DatasetManifest
  } catch {
    throw corrupt(dir, `${MANIFEST} is not valid JSON`)
  }
  if (m?.format !== DATASET_FORMAT || typeof m.version !== 'number') throw corrupt(dir, `${MANIFEST} is not a Perturb Studio dataset manifest`)
  if (m.version > DATASET_FORMAT_VERSION) {
    throw new AppError('dataset.storage-version', `The dataset in ${dir} was stored by a newer Perturb Studio (format ${m.version}; this one reads ${DATASET_FORMAT_VERSION}). Update the app or import the file again.`)
  }
  const ok =
    m.shape &&
    m.files &&
    Array.isArray(m.conditions) &&
    Array.isArray(m.genes?.id) &&
    Array.isArray(m.genes?.symbol) &&
    m.genes.id.length === m.shape.genes &&
    m.genes.symbol.length === m.shape.genes &&
    m.conditions.length === m.shape.conditions
  if (!ok) throw corrupt(dir, `${MANIFEST} is incomplete`)
  return m
}

/** Loads a folder written by `saveDataset`, verifying every file's size and SHA-256. */
export async function loadDataset(dir: string): Promise<PreparedDataset> {
  const m = await readDatasetManifest(dir)
  const G = m.shape.genes

  const read = async (name: string, expect: Dtype | 'index'): Promise<Buffer> => {
    const entry = m.files[name]
    if (!entry) throw corrupt(dir, `${MANIFEST} lists no ${name}`)
    if (expect !== entry.dtype && !(expect === 'index' && entry.dtype === (G <= 65536 ? 'uint16' : 'int32'))) throw corrupt(dir, `${name} has type ${entry.dtype}`)
    let buf: Buffer
    try {
      buf = await fs.readFile(path.join(dir, name))
    } catch {
      throw corrupt(dir, `${name} is missing`)
    }
    if (buf.byteLength !== entry.bytes) throw corrupt(dir, `${name} has ${buf.byteLength} bytes, expected ${entry.bytes}`)
    if (sha256(buf) !== entry.sha256) throw corrupt(dir, `${name} fails its checksum`)
    return buf
  }
  const view = <T extends TypedArray>(buf: Buffer, Ctor: { new (b: ArrayBufferLike, o: number, n: number): T; new (n: number): T; BYTES_PER_ELEMENT: number }): T => {
    if (buf.byteLength % Ctor.BYTES_PER_ELEMENT) throw corrupt(dir, 'a file has a partial element')
    const n = buf.byteLength / Ctor.BYTES_PER_ELEMENT
    if (buf.byteOffset % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(buf.buffer, buf.byteOffset, n)
    const copy = new Ctor(n)
    new Uint8Array(copy.buffer).set(buf)
    return copy
  }
  const int32 = async (name: string) => view(await read(name, 'int32'), Int32Array)
  const float32 = async (name: string) => view(await read(name, 'float32'), Float32Array)
  const indices = async (name: string): Promise<Int32Array> => {
    const buf = await read(name, 'index')
    if (m.files[name].dtype === 'int32') return view(buf, Int32Array)
    const small = view(buf, Uint16Array)
    const out = new Int32Array(small.length)
    out.set(small)
    return out
  }

  const [indptr, xIndices, data, cellCondition, controlMean, conditionMeans, scores, cellsBuf] = await Promise.all([
    int32('x-indptr.bin'),
    indices('x-indices.bin'),
    float32('x-data.bin'),
    int32('cell-condition.bin'),
    float32('control-mean.bin'),
    float32('condition-means.bin'),
    float32('de-scores.bin'),
    read('cells.json', 'json'),
  ])
  const deArrays = Object.fromEntries(await Promise.all(DE_PARTS.map(async (p) => [p, await indices(`de-${p}.bin`)] as const))) as Record<(typeof DE_PARTS)[number], Int32Array>

  let cells: string[]
  try {
    cells = JSON.parse(cellsBuf.toString('utf8')) as string[]
  } catch {
    throw corrupt(dir, 'cells.json is not valid JSON')
  }

  // Shapes must agree with the manifest before anything is handed out.
  const { cells: nCells, conditions: nCond, nnz } = m.shape
  const shapeOk =
    Array.isArray(cells) &&
    cells.length === nCells &&
    indptr.length === nCells + 1 &&
    indptr[0] === 0 &&
    indptr[nCells] === nnz &&
    xIndices.length === nnz &&
    data.length === nnz &&
    cellCondition.length === nCells &&
    controlMean.length === G &&
    conditionMeans.length === nCond * G
  if (!shapeOk) throw corrupt(dir, 'array sizes disagree with the manifest')

  const offsets = Object.fromEntries(DE_PARTS.map((p) => [p, 0])) as Record<(typeof DE_PARTS)[number], number>
  let scoreAt = 0
  const conditions: ConditionStats[] = m.conditions.map((c) => {
    if (!c.de) return { condition: c.condition, genes: c.genes, cells: c.cells, de: null }
    const stored = c.de
    const take = (p: (typeof DE_PARTS)[number]) => {
      const a = deArrays[p].subarray(offsets[p], offsets[p] + stored[p])
      offsets[p] += stored[p]
      if (a.length !== stored[p]) throw corrupt(dir, `de-${p}.bin is shorter than the manifest says`)
      return a
    }
    let s: Float32Array | null = null
    if (stored.scores) {
      s = scores.subarray(scoreAt, scoreAt + G)
      scoreAt += G
      if (s.length !== G) throw corrupt(dir, 'de-scores.bin is shorter than the manifest says')
    }
    const de: DeEntry = { ranking: take('ranking'), scores: s, nonZerosGeneIdx: take('nonZeros'), nonDropoutGeneIdx: take('nonDropout'), topNonDropoutDe20: take('topNonDropout'), topNonZeroDe20: take('topNonZero') }
    return { condition: c.condition, genes: c.genes, cells: c.cells, de }
  })
  for (const p of DE_PARTS) if (offsets[p] !== deArrays[p].length) throw corrupt(dir, `de-${p}.bin is longer than the manifest says`)
  if (scoreAt !== scores.length) throw corrupt(dir, 'de-scores.bin is longer than the manifest says')

  let cellGuides: PreparedDataset['cellGuides']
  if (m.files[CELL_GUIDES]) {
    let stored: StoredCellGuides
    try {
      stored = JSON.parse((await read(CELL_GUIDES, 'json')).toString('utf8')) as StoredCellGuides
    } catch (err) {
      if (err instanceof AppError) throw err
      throw corrupt(dir, `${CELL_GUIDES} is not valid JSON`)
    }
    cellGuides = decodeCellGuides(stored, nCells) ?? undefined
    if (!cellGuides) throw corrupt(dir, `${CELL_GUIDES} does not hold one guide per cell`)
  }

  const X: CsrMatrix = { nRows: nCells, nCols: G, indptr, indices: xIndices, data }
  return {
    source: m.source,
    genes: m.genes,
    cells,
    conditions,
    cellCondition,
    X,
    controlMean,
    conditionMeans,
    normalisation: m.normalisation,
    hvgSelected: m.hvgSelected,
    hvg: m.hvg,
    perturbedGenesNotMeasured: m.perturbedGenesNotMeasured,
    deSource: m.deSource,
    droppedCells: m.droppedCells,
    warnings: m.warnings,
    ...(cellGuides ? { cellGuides } : {}),
  }
}
