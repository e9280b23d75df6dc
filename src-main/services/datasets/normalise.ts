/** Raw-count detection, scanpy's `normalize_total` (median target) and `log1p`, on CSR. */
import { AppError } from '../../../src-shared/contract/envelope'
import { median } from '../../../src-shared/domain/statistics'
import type { CsrMatrix } from '../../io/raw-dataset'
import { Float32Memo, float32Bits, rowOfEntry } from '../../io/csr'

export type ValueKind = 'raw-counts' | 'log-normalised'

export interface MatrixLabels {
  /** what the matrix is, for messages: `X of papalexi.h5ad` */
  what: string
  rows?: readonly string[]
  cols?: readonly string[]
}

/**
 * Raw counts when every stored value is a non-negative integer; otherwise the matrix is taken as
 * already log-normalised. NaN, ±Inf and negative values are refused: counts cannot be negative,
 * and a log1p of non-negative data cannot either.
 */
export function detectValues(m: CsrMatrix, labels: MatrixLabels): { kind: ValueKind; max: number } {
  let integer = true
  let max = 0
  const d = m.data
  for (let k = 0; k < d.length; k++) {
    const v = d[k]
    if (!(v >= 0) || v === Infinity) {
      const row = rowOfEntry(m.indptr, k)
      const where = `cell ${labels.rows?.[row] ?? row} (row ${row}), gene ${labels.cols?.[m.indices[k]] ?? m.indices[k]}`
      // Same code as the readers' value checks: one idea, one code.
      if (v < 0) throw new AppError('dataset.invalid-values', `${labels.what} holds a negative value (${v}) at ${where}. Import raw counts or log-normalised expression; scaled or centred data cannot be used.`)
      throw new AppError('dataset.invalid-values', `${labels.what} holds ${v} at ${where}. Remove or fix NaN/infinite values before importing.`)
    }
    if (v > max) max = v
    if (integer && v !== Math.floor(v)) integer = false
  }
  return { kind: integer ? 'raw-counts' : 'log-normalised', max }
}

/**
 * scanpy `normalize_total`: scales each cell to `targetSum` total counts; by default the target is
 * the median total over cells with counts > 0. Cells with no counts stay all-zero. `inPlace`
 * overwrites `m.data` (an import of 300 k cells saves a copy of every stored value).
 */
export function normalizeTotal(m: CsrMatrix, targetSum?: number, inPlace = false): { matrix: CsrMatrix; targetSum: number } {
  const { indptr, data: src } = m
  const totals = new Float64Array(m.nRows)
  for (let r = 0; r < m.nRows; r++) {
    let s = 0
    for (let k = indptr[r]; k < indptr[r + 1]; k++) s += src[k]
    totals[r] = s
  }
  const target = targetSum ?? median(totals.filter((t) => t > 0))
  const data = inPlace ? m.data : new Float32Array(m.data.length)
  for (let r = 0; r < m.nRows; r++) {
    if (totals[r] === 0) continue
    const f = target / totals[r]
    for (let k = indptr[r]; k < indptr[r + 1]; k++) data[k] = src[k] * f
  }
  return { matrix: inPlace ? m : { ...m, data }, targetSum: target }
}

/** ln(1 + x) of every stored value (zeros stay zero, so sparsity is kept). */
export function log1p(m: CsrMatrix, inPlace = false): CsrMatrix {
  const data = inPlace ? m.data : new Float32Array(m.data.length)
  const memo = new Float32Memo(Math.log1p)
  const src = m.data
  const bits = float32Bits(src)
  for (let k = 0; k < src.length; k++) data[k] = memo.apply(bits[k], src[k])
  return inPlace ? m : { ...m, data }
}
