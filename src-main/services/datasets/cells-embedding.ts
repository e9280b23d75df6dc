/**
 * The cell map of a dataset: PCA and UMAP of its cells, coloured by condition on the screen.
 *
 *  1. cells: every cell up to `maxCells` (default 5,000); above it a seeded random sample
 *     (mulberry32(seed), partial Fisher–Yates), so the same seed gives the same cells;
 *  2. genes: the `maxGenes` (500) measured genes with the largest variance of log-normalised
 *     expression over those cells (the stored genes are already the import's highly variable ones);
 *  3. each gene centred and scaled to unit variance, clipped at ±10 (scanpy `pp.scale(max_value=10)`);
 *  4. PCA with ml-pca from the genes' covariance matrix (eigen-decomposition), the cells projected
 *     on the first `components` (20) PCs;
 *  5. UMAP (umap-js, 15 neighbours, min_dist 0.1, seeded) on those PCs, started from PC1/PC2.
 *
 * The result is cached as JSON under `<home>/cache/cells/`, keyed by the SHA-256 of the stored
 * dataset's manifest (which lists a checksum of every array) and the parameters: re-storing the
 * dataset, or another dataset taking its id, computes it again.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { PCA } from 'ml-pca'
import { UMAP } from 'umap-js'
import { AppError } from '../../../src-shared/contract'
import { CELLS_DEFAULTS, type CellsEmbedding } from '../../../src-shared/contract/channels/cells'
import { mulberry32 } from '../../../src-shared/domain/random'
import { writeFileAtomic } from '../../io/atomic-write'
import type { Job } from '../jobs'
import type { PreparedDataset } from './prepared-dataset'

/** Bumped when the computation changes, so older cache files are recomputed. */
const EMBEDDING_VERSION = 2
const CACHE_DIR = path.join('cache', 'cells')
const UMAP_EPOCHS = 200
const MIN_DIST = 0.1
const CLIP = 10

export interface CellsOptions {
  seed: number
  maxCells: number
  maxGenes?: number
  components?: number
  neighbours?: number
  /** only read the cache */
  cachedOnly?: boolean
}

export interface CellsEmbeddingDeps {
  home: string
  datasets: { load(id: number): Promise<PreparedDataset>; require(id: number): { storageDir: string } }
}

/** Progress without a registered job (tests, scripts). */
type Progress = Pick<Job, 'progress' | 'throwIfCancelled'>

export class CellsEmbeddingService {
  constructor(private readonly deps: CellsEmbeddingDeps) {}

  cacheFile(datasetId: number): string {
    return path.join(this.deps.home, CACHE_DIR, `dataset-${datasetId}.json`)
  }

  /** The cache key: the stored dataset's manifest and every parameter. */
  private key(datasetId: number, o: Required<Omit<CellsOptions, 'cachedOnly'>>): string {
    const record = this.deps.datasets.require(datasetId)
    const manifest = path.join(this.deps.home, record.storageDir, 'manifest.json')
    let bytes: Buffer
    try {
      bytes = fs.readFileSync(manifest)
    } catch (err) {
      throw new AppError('dataset.storage-corrupt', `Dataset ${datasetId}'s stored files are missing (${(err as Error).message}); import it again.`)
    }
    return createHash('sha256')
      .update(bytes)
      .update(JSON.stringify({ v: EMBEDDING_VERSION, ...o }))
      .digest('hex')
  }

  async embedding(datasetId: number, options: CellsOptions, job: Progress): Promise<CellsEmbedding> {
    const o = {
      seed: options.seed,
      maxCells: options.maxCells,
      maxGenes: options.maxGenes ?? CELLS_DEFAULTS.maxGenes,
      components: options.components ?? CELLS_DEFAULTS.components,
      neighbours: options.neighbours ?? CELLS_DEFAULTS.neighbours,
    }
    const key = this.key(datasetId, o)
    const file = this.cacheFile(datasetId)
    const cached = readCache(file, key)
    if (cached) return { ...cached, datasetId, cached: true }
    if (options.cachedOnly) throw new AppError('cells.not-computed', `The cell map of dataset ${datasetId} has not been computed yet.`)

    const started = Date.now()
    job.progress(0.01, 'Reading the dataset')
    const ds = await this.deps.datasets.load(datasetId)
    const result = await computeEmbedding(ds, o, job)
    const embedding: CellsEmbedding = { ...result, datasetId, cached: false, computedAt: new Date().toISOString(), seconds: Math.round((Date.now() - started) / 100) / 10 }
    fs.mkdirSync(path.dirname(file), { recursive: true })
    writeFileAtomic(file, JSON.stringify({ key, embedding: { ...embedding, cached: undefined } }))
    job.progress(1, 'Cell map ready')
    return embedding
  }

  /** Forgets a dataset's cached map (after the dataset is deleted). */
  forget(datasetId: number): void {
    fs.rmSync(this.cacheFile(datasetId), { force: true })
  }
}

function readCache(file: string, key: string): Omit<CellsEmbedding, 'cached'> | null {
  try {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { key: string; embedding: Omit<CellsEmbedding, 'cached'> }
    return stored.key === key ? stored.embedding : null
  } catch {
    return null
  }
}

/** A seeded sample of `k` of `n` indices, ascending (all when k ≥ n). */
export function sampleIndices(n: number, k: number, seed: number): Int32Array {
  const all = new Int32Array(n)
  for (let i = 0; i < n; i++) all[i] = i
  if (k >= n) return all
  const rand = mulberry32(seed)
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (n - i))
    const t = all[i]
    all[i] = all[j]
    all[j] = t
  }
  return all.slice(0, k).sort()
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

export async function computeEmbedding(
  ds: PreparedDataset,
  o: { seed: number; maxCells: number; maxGenes: number; components: number; neighbours: number },
  job: Progress,
): Promise<Omit<CellsEmbedding, 'datasetId' | 'cached' | 'computedAt' | 'seconds'>> {
  const X = ds.X
  const cells = sampleIndices(X.nRows, o.maxCells, o.seed)
  const n = cells.length
  if (n < 10) throw new AppError('cells.too-few', `A cell map needs at least 10 cells; this dataset has ${n}.`)

  // Per-gene mean and variance over the sampled cells (implicit zeros included).
  const G = X.nCols
  const sum = new Float64Array(G)
  const sumsq = new Float64Array(G)
  for (const c of cells) {
    for (let k = X.indptr[c]; k < X.indptr[c + 1]; k++) {
      const v = X.data[k]
      sum[X.indices[k]] += v
      sumsq[X.indices[k]] += v * v
    }
  }
  const mean = new Float64Array(G)
  const sd = new Float64Array(G)
  for (let g = 0; g < G; g++) {
    mean[g] = sum[g] / n
    sd[g] = Math.sqrt(Math.max(0, (sumsq[g] / n - mean[g] * mean[g]) * (n / (n - 1))))
  }
  const genes = Array.from({ length: G }, (_, g) => g)
    .filter((g) => sd[g] > 0)
    .sort((a, b) => sd[b] - sd[a] || a - b)
    .slice(0, o.maxGenes)
  const P = genes.length
  if (P < 2) throw new AppError('cells.too-few-genes', 'A cell map needs at least 2 genes whose expression varies across cells.')
  const column = new Int32Array(G).fill(-1)
  genes.forEach((g, j) => (column[g] = j))

  // Scaled, clipped, dense cells × genes.
  job.progress(0.05, `Scaling ${P} genes of ${n.toLocaleString('en')} cells`)
  const Z = new Float64Array(n * P)
  for (let i = 0; i < n; i++) {
    const row = Z.subarray(i * P, (i + 1) * P)
    for (let j = 0; j < P; j++) row[j] = -mean[genes[j]] / sd[genes[j]]
    const c = cells[i]
    for (let k = X.indptr[c]; k < X.indptr[c + 1]; k++) {
      const j = column[X.indices[k]]
      if (j >= 0) row[j] = (X.data[k] - mean[genes[j]]) / sd[genes[j]]
    }
    for (let j = 0; j < P; j++) row[j] = Math.max(-CLIP, Math.min(CLIP, row[j]))
  }
  // Clipping moves the means a little: centre again so the PCs pass through the cloud's centre.
  const centre = new Float64Array(P)
  for (let i = 0; i < n; i++) for (let j = 0; j < P; j++) centre[j] += Z[i * P + j] / n
  for (let i = 0; i < n; i++) for (let j = 0; j < P; j++) Z[i * P + j] -= centre[j]

  job.progress(0.08, 'Principal components')
  const cov: number[][] = Array.from({ length: P }, () => new Array<number>(P).fill(0))
  for (let a = 0; a < P; a++) {
    const ra = cov[a]
    for (let i = 0; i < n; i++) {
      const za = Z[i * P + a]
      if (za === 0) continue
      const off = i * P
      for (let b = a; b < P; b++) ra[b] += za * Z[off + b]
    }
    for (let b = a; b < P; b++) {
      ra[b] /= n - 1
      cov[b][a] = ra[b]
    }
    if (a % 50 === 0) {
      job.throwIfCancelled()
      await yieldToLoop()
    }
  }
  const pca = new PCA(cov, { isCovarianceMatrix: true })
  const U = pca.getEigenvectors()
  const eigen = pca.getEigenvalues()
  const total = eigen.reduce((s, v) => s + Math.max(0, v), 0)
  const K = Math.min(o.components, P)
  // Each PC's sign fixed so its largest loading is positive: the same data gives the same picture.
  const loadings: Float64Array[] = []
  for (let k = 0; k < K; k++) {
    const v = new Float64Array(P)
    let big = 0
    for (let j = 0; j < P; j++) {
      v[j] = U.get(j, k)
      if (Math.abs(v[j]) > Math.abs(big)) big = v[j]
    }
    if (big < 0) for (let j = 0; j < P; j++) v[j] = -v[j]
    loadings.push(v)
  }
  const scores: number[][] = Array.from({ length: n }, (_, i) => {
    const off = i * P
    return loadings.map((v) => {
      let s = 0
      for (let j = 0; j < P; j++) s += Z[off + j] * v[j]
      return s
    })
  })
  job.throwIfCancelled()

  job.progress(0.15, 'Finding each cell’s nearest neighbours (UMAP)')
  await yieldToLoop()
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(o.neighbours, n - 1), minDist: MIN_DIST, nEpochs: UMAP_EPOCHS, random: mulberry32(o.seed) })
  const epochs = umap.initializeFit(scores)
  // Start from PC1/PC2 scaled to ±10 instead of umap-js's random start (umap-learn's `init='pca'`,
  // scanpy's `init_pos`): far-apart groups then keep their place instead of drifting to the edges.
  // getEmbedding() is the layout the steps move, so it is set in place.
  const start = umap.getEmbedding()
  let span = 0
  for (const row of scores) span = Math.max(span, Math.abs(row[0]), Math.abs(row[1] ?? 0))
  if (span > 0) start.forEach((row, i) => ((row[0] = (10 * scores[i][0]) / span), (row[1] = (10 * (scores[i][1] ?? 0)) / span)))
  for (let e = 0; e < epochs; e++) {
    umap.step()
    if (e % 5 === 4) {
      job.progress(0.2 + (0.78 * (e + 1)) / epochs, `Laying out the UMAP: epoch ${e + 1} of ${epochs}`)
      job.throwIfCancelled()
      await yieldToLoop()
    }
  }
  const layout = umap.getEmbedding()

  // Conditions: control first, then by cells embedded.
  const counts = new Map<number, number>()
  for (const c of cells) counts.set(ds.cellCondition[c], (counts.get(ds.cellCondition[c]) ?? 0) + 1)
  const order = [...counts.keys()].sort((a, b) => {
    const ca = ds.conditions[a].genes.length === 0
    const cb = ds.conditions[b].genes.length === 0
    return ca !== cb ? (ca ? -1 : 1) : counts.get(b)! - counts.get(a)! || a - b
  })
  const position = new Map(order.map((c, i) => [c, i]))
  const round = (v: number) => Math.round(v * 1e4) / 1e4
  return {
    totalCells: X.nRows,
    cells: n,
    sampled: n < X.nRows,
    seed: o.seed,
    maxCells: o.maxCells,
    genes: P,
    components: K,
    explained: [total > 0 ? eigen[0] / total : 0, total > 0 ? eigen[1] / total : 0],
    conditions: order.map((c) => ({ condition: ds.conditions[c].condition, cells: counts.get(c)!, control: ds.conditions[c].genes.length === 0 })),
    condition: Array.from(cells, (c) => position.get(ds.cellCondition[c])!),
    pca: scores.flatMap((s) => [round(s[0]), round(s[1] ?? 0)]),
    umap: layout.flatMap((p) => [round(p[0]), round(p[1])]),
    barcodes: Array.from(cells, (c) => ds.cells[c]),
  }
}
