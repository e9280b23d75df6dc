/**
 * What every dataset reader returns: the matrix and annotations exactly as the file holds them,
 * validated but not yet preprocessed (services/datasets does normalisation, HVG and DE).
 */

/** Compressed sparse rows. For `X` the rows are cells and the columns genes. */
export interface CsrMatrix {
  nRows: number
  nCols: number
  /** length nRows + 1; nnz must stay below 2^31. */
  indptr: Int32Array
  /** column of each stored value, sorted within a row */
  indices: Int32Array
  data: Float32Array
}

export type ObsColumn =
  | { type: 'string'; values: (string | null)[] } // strings and categoricals (decoded)
  | { type: 'number'; values: Float64Array } // NaN where missing
  | { type: 'boolean'; values: (boolean | null)[] }

export type DatasetFormat = 'h5ad' | '10x' | 'csv'

/** GEARS' per-condition DE entries as stored in a GEARS-processed `.h5ad` `uns` (values are var index ids). */
export interface GearsUns {
  rank_genes_groups_cov_all?: Record<string, string[]>
  top_non_dropout_de_20?: Record<string, string[]>
  top_non_zero_de_20?: Record<string, string[]>
  non_dropout_gene_idx?: Record<string, number[]>
  non_zeros_gene_idx?: Record<string, number[]>
}

/**
 * Any other AnnData `uns` entry: strings, numbers, booleans, arrays and nested records. Numeric arrays
 * come back from `readH5ad` as typed arrays (int64 as Float64Array); 2-D arrays as arrays of rows.
 */
export type UnsValue = string | number | boolean | string[] | number[] | Float64Array | Float32Array | Int32Array | UnsValue[] | { [key: string]: UnsValue }

export interface RawDataset {
  source: { path: string; format: DatasetFormat }
  /** cells × genes as stored (raw counts, or already normalised) */
  X: CsrMatrix
  /** `layers/counts` when the file has it (raw counts beside a normalised X) */
  counts?: CsrMatrix
  /** obs index: barcodes or cell names, unique */
  cells: string[]
  /** var: `id` is the var index (Ensembl id or symbol), `symbol` the best gene-symbol column found */
  genes: { id: string[]; symbol: string[] }
  /** per-cell annotations keyed by column name (condition, target, guide, replicate, …) */
  obs: Record<string, ObsColumn>
  uns?: GearsUns
  /** Every other `uns` entry of an `.h5ad`, as stored (e.g. a synthetic dataset's ground truth). */
  unsOther?: Record<string, UnsValue>
  /** Non-fatal findings worth showing the user (e.g. "var symbols taken from feature_name"). */
  warnings: string[]
}
