import { z } from 'zod'
import { id, jobId } from '../names'
import { returns } from './define'

/**
 * The cell map of a dataset: PCA and UMAP of (a seeded sample of) its cells, coloured by
 * condition. Computed in the core, cached on disk per dataset; `job:progress` (kind
 * `cells-embedding`) reports the UMAP epochs.
 */

export const CELLS_DEFAULTS = {
  /** cells embedded at most; larger datasets are sampled (seeded), every condition keeping its share */
  maxCells: 5000,
  /** most variable measured genes the PCA uses */
  maxGenes: 500,
  /** principal components UMAP runs on */
  components: 20,
  neighbours: 15,
  seed: 1,
} as const

export interface CellsEmbedding {
  datasetId: number
  /** cells in the dataset */
  totalCells: number
  /** cells embedded (≤ maxCells) */
  cells: number
  sampled: boolean
  seed: number
  maxCells: number
  /** genes the PCA used (the most variable measured ones) */
  genes: number
  components: number
  /** share of variance of PC1 and PC2 (over the genes used) */
  explained: [number, number]
  /** conditions, control first, then by cells embedded (descending) */
  conditions: { condition: string; cells: number; control: boolean }[]
  /** per embedded cell: index into `conditions` */
  condition: number[]
  /** per embedded cell: [PC1, PC2] flattened (x0, y0, x1, y1, …) */
  pca: number[]
  /** per embedded cell: [UMAP1, UMAP2] flattened */
  umap: number[]
  /** per embedded cell: its barcode */
  barcodes: string[]
  /** true when read from the cache */
  cached: boolean
  computedAt: string
  seconds: number
}

export const cellsChannels = {
  /** The dataset's cell map; computed once (seconds to a minute), then read from the cache. */
  'cells:embedding': returns<CellsEmbedding>()(
    z
      .object({
        datasetId: id('Dataset id'),
        seed: z.number().int().min(0, { error: 'The seed must be 0 or more' }).default(CELLS_DEFAULTS.seed),
        maxCells: z.number().int().min(50, { error: 'maxCells must be at least 50' }).max(50_000).default(CELLS_DEFAULTS.maxCells),
        /** only read the cache: answers `cells.not-computed` instead of computing */
        cachedOnly: z.boolean().default(false),
        jobId: jobId.optional(),
      })
      .strict(),
  ),
} as const
