/** Small loops over the CSR expression matrix shared by metrics, baselines and training. */
import type { CsrArrays, TrainingData } from './engine-types'

/** Mean over `rows` per gene (Float64 accumulation). */
export function rowsMean(x: CsrArrays, rows: ArrayLike<number>): Float32Array {
  const sum = new Float64Array(x.nCols)
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]
    for (let e = x.indptr[row]; e < x.indptr[row + 1]; e++) sum[x.indices[e]] += x.data[e]
  }
  const out = new Float32Array(x.nCols)
  const n = rows.length
  for (let g = 0; g < x.nCols; g++) out[g] = n ? sum[g] / n : 0
  return out
}

/** Writes row `row` of x into `out` (length nCols) as dense values. */
export function denseRow(x: CsrArrays, row: number, out: Float32Array, offset = 0): void {
  out.fill(0, offset, offset + x.nCols)
  for (let e = x.indptr[row]; e < x.indptr[row + 1]; e++) out[offset + x.indices[e]] = x.data[e]
}

/** Rows as a dense row-major [rows.length, nCols] block. */
export function denseRows(x: CsrArrays, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * x.nCols)
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]
    const base = r * x.nCols
    for (let e = x.indptr[row]; e < x.indptr[row + 1]; e++) out[base + x.indices[e]] = x.data[e]
  }
  return out
}

/** Condition name → index into data.conditions. */
export function conditionIndex(data: TrainingData): Map<string, number> {
  return new Map(data.conditions.map((c, i) => [c.condition, i]))
}

/** Gene symbol → column of the expression matrix. */
export function geneIndex(data: TrainingData): Map<string, number> {
  return new Map(data.genes.map((g, i) => [g, i]))
}

/** Control cells (the `ctrl` condition's rows), or an empty array. */
export function controlCells(data: TrainingData): Int32Array {
  return data.conditions.find((c) => c.condition === 'ctrl')?.cells ?? new Int32Array(0)
}
