/** Small CSR helpers: subsetting rows and columns without ever densifying cells × genes. */
import type { CsrMatrix } from '../../io/raw-dataset'

/** Rows `rows` (any order) of `m`, sharing nothing with it. */
export function selectRows(m: CsrMatrix, rows: Int32Array): CsrMatrix {
  const indptr = new Int32Array(rows.length + 1)
  for (let i = 0; i < rows.length; i++) indptr[i + 1] = indptr[i] + (m.indptr[rows[i] + 1] - m.indptr[rows[i]])
  const nnz = indptr[rows.length]
  const indices = new Int32Array(nnz)
  const data = new Float32Array(nnz)
  for (let i = 0; i < rows.length; i++) {
    const start = m.indptr[rows[i]]
    const end = m.indptr[rows[i] + 1]
    indices.set(m.indices.subarray(start, end), indptr[i])
    data.set(m.data.subarray(start, end), indptr[i])
  }
  return { nRows: rows.length, nCols: m.nCols, indptr, indices, data }
}

/** Columns `cols` (ascending, so indices stay sorted) of `m`, renumbered 0..cols.length-1. */
export function selectColumns(m: CsrMatrix, cols: Int32Array): CsrMatrix {
  const newIndex = new Int32Array(m.nCols).fill(-1)
  for (let j = 0; j < cols.length; j++) {
    if (j > 0 && cols[j] <= cols[j - 1]) throw new Error('selectColumns: columns must be strictly ascending')
    newIndex[cols[j]] = j
  }
  const indptr = new Int32Array(m.nRows + 1)
  let nnz = 0
  for (let k = 0; k < m.indices.length; k++) if (newIndex[m.indices[k]] >= 0) nnz++
  const indices = new Int32Array(nnz)
  const data = new Float32Array(nnz)
  let out = 0
  for (let r = 0; r < m.nRows; r++) {
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) {
      const j = newIndex[m.indices[k]]
      if (j >= 0) {
        indices[out] = j
        data[out++] = m.data[k]
      }
    }
    indptr[r + 1] = out
  }
  return { nRows: m.nRows, nCols: cols.length, indptr, indices, data }
}

/** Row index holding stored value `k` (binary search over indptr). */
export function rowOfEntry(m: CsrMatrix, k: number): number {
  let lo = 0
  let hi = m.nRows - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (m.indptr[mid] <= k) lo = mid
    else hi = mid - 1
  }
  return lo
}
