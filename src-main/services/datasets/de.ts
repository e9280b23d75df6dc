/**
 * Differential expression per condition vs control, as GEARS gets it from scanpy
 * `rank_genes_groups(groupby=condition, reference=ctrl, method='t-test', rankby_abs=True,
 * n_genes=all)` followed by GEARS' `get_dropout_non_zero_genes`.
 */
import type { CsrMatrix } from '../../io/raw-dataset'
import type { DeEntry } from './prepared-dataset'

export interface GroupSums {
  nGroups: number
  nGenes: number
  cells: Int32Array
  /** row-major groups × genes */
  sums: Float64Array
  sumsq: Float64Array
}

/** Per-group sums and sums of squares of every gene in one pass over the CSR. */
export function groupSums(X: CsrMatrix, group: Int32Array, nGroups: number): GroupSums {
  const G = X.nCols
  const cells = new Int32Array(nGroups)
  const sums = new Float64Array(nGroups * G)
  const sumsq = new Float64Array(nGroups * G)
  const { indptr, indices, data } = X
  for (let r = 0; r < X.nRows; r++) {
    const g = group[r]
    cells[g]++
    const base = g * G
    const end = indptr[r + 1]
    for (let k = indptr[r]; k < end; k++) {
      const v = data[k]
      const at = base + indices[k]
      sums[at] += v
      sumsq[at] += v * v
    }
  }
  return { nGroups, nGenes: G, cells, sums, sumsq }
}

/** Mean and variance (ddof = 1, as scanpy's t-test uses) of every gene in group g. */
export function groupMeanVar(s: GroupSums, g: number): { mean: Float64Array; variance: Float64Array } {
  const n = s.cells[g]
  const mean = new Float64Array(s.nGenes)
  const variance = new Float64Array(s.nGenes)
  for (let j = 0; j < s.nGenes; j++) {
    const sum = s.sums[g * s.nGenes + j]
    mean[j] = sum / n
    // Clamped: rounding can make a constant gene's variance a hair below 0.
    variance[j] = Math.max(0, (s.sumsq[g * s.nGenes + j] - sum * mean[j]) / (n - 1))
  }
  return { mean, variance }
}

/** Welch's t (scipy `ttest_ind_from_stats(equal_var=False)`); NaN scores become 0 as in scanpy. */
export function welchT(m1: Float64Array, v1: Float64Array, n1: number, m2: Float64Array, v2: Float64Array, n2: number): Float64Array {
  const t = new Float64Array(m1.length)
  for (let j = 0; j < m1.length; j++) {
    const x = (m1[j] - m2[j]) / Math.sqrt(v1[j] / n1 + v2[j] / n2)
    t[j] = Number.isNaN(x) ? 0 : x
  }
  return t
}

/** Gene indices by |score| descending; ties keep gene order (scanpy leaves them unspecified). */
export function rankByAbs(scores: ArrayLike<number>): Int32Array {
  const abs = Float64Array.from(scores, Math.abs)
  const order = Int32Array.from({ length: abs.length }, (_, i) => i)
  return order.sort((a, b) => abs[b] - abs[a] || a - b)
}

/**
 * GEARS `get_dropout_non_zero_genes`, for one condition:
 *  - non_zeros_gene_idx: genes whose mean in the condition is not 0 (some cell expresses them);
 *  - non_dropout_gene_idx: those, plus the genes that are 0 in both the condition and control
 *    (true zeros) — i.e. it leaves out only genes seen in control but lost ("dropped out") in the
 *    condition, whose DE is a knockout/sampling artefact rather than a measurable shift;
 *  - top_non_dropout_de_20 / top_non_zero_de_20: the first 20 genes of the |t| ranking that lie in
 *    each set. Both index sets are ascending, as GEARS sorts them.
 */
export function gearsDeEntry(ranking: Int32Array, scores: Float32Array | null, conditionMean: ArrayLike<number>, controlMean: ArrayLike<number>): DeEntry {
  const G = conditionMean.length
  const nonZero = new Uint8Array(G)
  const nonDropout = new Uint8Array(G)
  for (let j = 0; j < G; j++) {
    nonZero[j] = conditionMean[j] !== 0 ? 1 : 0
    nonDropout[j] = nonZero[j] || controlMean[j] === 0 ? 1 : 0
  }
  const indicesWhere = (flags: Uint8Array) => {
    const out: number[] = []
    for (let j = 0; j < G; j++) if (flags[j]) out.push(j)
    return Int32Array.from(out)
  }
  const top20 = (flags: Uint8Array) => {
    const out: number[] = []
    for (let i = 0; i < ranking.length && out.length < 20; i++) if (flags[ranking[i]]) out.push(ranking[i])
    return Int32Array.from(out)
  }
  return {
    ranking,
    scores,
    nonZerosGeneIdx: indicesWhere(nonZero),
    nonDropoutGeneIdx: indicesWhere(nonDropout),
    topNonDropoutDe20: top20(nonDropout),
    topNonZeroDe20: top20(nonZero),
  }
}
