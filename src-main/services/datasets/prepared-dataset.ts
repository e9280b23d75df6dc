/**
 * A dataset after import: what training, metrics and the dataset screens read.
 * Built by `preprocessDataset`, stored and loaded by `dataset-store`.
 */
import type { CsrMatrix, DatasetFormat } from '../../io/raw-dataset'
import type { CellGuides } from './cell-guides'

/** GEARS' per-condition DE entries, as gene indices into `PreparedDataset.genes`. */
export interface DeEntry {
  /** genes by |Welch t| descending (scanpy `rankby_abs`); every gene, unless a GEARS file stored fewer */
  ranking: Int32Array
  /** Welch t per gene in gene order; null when the ranking came from a GEARS file */
  scores: Float32Array | null
  /** genes whose mean in this condition is not 0, ascending */
  nonZerosGeneIdx: Int32Array
  /** non-zero genes ∪ genes that are 0 in both this condition and control, ascending */
  nonDropoutGeneIdx: Int32Array
  /** first 20 of `ranking` that are in `nonDropoutGeneIdx` */
  topNonDropoutDe20: Int32Array
  /** first 20 of `ranking` that are in `nonZerosGeneIdx` */
  topNonZeroDe20: Int32Array
}

export interface ConditionStats {
  /** canonical condition (`ctrl`, `A+ctrl`, `A+B`) */
  condition: string
  /** perturbed genes, sorted; [] for ctrl */
  genes: string[]
  cells: number
  /** null for ctrl (the reference) */
  de: DeEntry | null
}

export interface Normalisation {
  /** what the values looked like: non-negative integers (raw) or anything else (taken as log-normalised) */
  detected: 'raw-counts' | 'log-normalised'
  /** what was applied before storing */
  applied: 'normalize_total+log1p' | 'none'
  /** which matrix of the file was used */
  matrix: 'X' | 'layers/counts'
  /** normalize_total's target (median total counts); null when not applied */
  targetSum: number | null
}

export interface HvgInfo {
  /** true when the seurat HVG selection reduced the genes */
  applied: boolean
  nTopGenes: number
  /** genes chosen as highly variable (0 when not applied) */
  highlyVariable: number
  /** measured perturbed genes kept although not highly variable */
  perturbedAdded: string[]
  /** why all genes were kept, when they were */
  keptAllReason: string | null
}

export interface PreparedDataset {
  source: { path: string; format: DatasetFormat }
  /** selected genes, in the file's order */
  genes: { id: string[]; symbol: string[] }
  /** kept cells (those with a condition), in the file's order */
  cells: string[]
  /** ctrl first, then the rest in code-unit order */
  conditions: ConditionStats[]
  /** per cell: index into `conditions` */
  cellCondition: Int32Array
  /** log-normalised expression, cells × genes */
  X: CsrMatrix
  controlMean: Float32Array
  /** mean expression per condition, row-major conditions × genes (row 0 = ctrl) */
  conditionMeans: Float32Array
  normalisation: Normalisation
  hvgSelected: boolean
  hvg: HvgInfo
  /** perturbed genes that are not among the file's genes, sorted */
  perturbedGenesNotMeasured: string[]
  /** where the DE entries came from */
  deSource: 'computed' | 'gears-uns' | 'gears-uns+computed'
  /** cells left out because their condition could not be mapped */
  droppedCells: number
  warnings: string[]
  /** per-cell guide ids and replicates, when the file has a guide column (absent in datasets stored before) */
  cellGuides?: CellGuides
}
