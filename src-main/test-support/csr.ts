/** Small matrices written out in full in a test, to and from the CSR the readers and services use. */
import type { CsrMatrix } from '../io/raw-dataset'

/** CSR from dense rows (zeros left out). */
export function csr(rows: number[][]): CsrMatrix {
  const indptr = [0]
  const indices: number[] = []
  const data: number[] = []
  for (const row of rows) {
    row.forEach((v, j) => {
      if (v !== 0) {
        indices.push(j)
        data.push(v)
      }
    })
    indptr.push(indices.length)
  }
  return { nRows: rows.length, nCols: rows[0]?.length ?? 0, indptr: Int32Array.from(indptr), indices: Int32Array.from(indices), data: Float32Array.from(data) }
}

/** Dense rows from CSR, to compare a whole matrix with `toEqual`. */
export function dense(m: CsrMatrix): number[][] {
  const out = Array.from({ length: m.nRows }, () => new Array<number>(m.nCols).fill(0))
  for (let r = 0; r < m.nRows; r++) for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) out[r][m.indices[k]] = m.data[k]
  return out
}
