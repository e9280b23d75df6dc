/**
 * Differential expression per condition vs control, as GEARS gets it from scanpy
 * `rank_genes_groups(groupby=condition, reference=ctrl, method='t-test', rankby_abs=True,
 * n_genes=all)` followed by GEARS' `get_dropout_non_zero_genes`.
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf'
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

export interface WelchTest {
  /** Welch's t per gene (0 where both groups are constant, as scanpy reports it) */
  t: Float64Array
  /** Welch–Satterthwaite degrees of freedom */
  df: Float64Array
  /** two-sided p-value; 1 where the test is undefined (scanpy sets NaN p-values to 1) */
  p: Float64Array
}

/**
 * Welch's unequal-variance t-test per gene with two-sided p-values, as scipy
 * `ttest_ind_from_stats(equal_var=False)` (what scanpy's `method='t-test'` calls). The p-value is
 * 2·F(−|t|; df), the lower tail of Student's t, so very small p-values keep their precision.
 */
export function welchTTest(m1: ArrayLike<number>, v1: ArrayLike<number>, n1: number, m2: ArrayLike<number>, v2: ArrayLike<number>, n2: number): WelchTest {
  const G = m1.length
  const t = new Float64Array(G)
  const df = new Float64Array(G)
  const p = new Float64Array(G)
  for (let j = 0; j < G; j++) {
    const a = v1[j] / n1
    const b = v2[j] / n2
    const x = (m1[j] - m2[j]) / Math.sqrt(a + b)
    const nu = ((a + b) * (a + b)) / ((a * a) / (n1 - 1) + (b * b) / (n2 - 1))
    df[j] = nu
    if (Number.isNaN(x) || !(nu > 0)) {
      t[j] = Number.isNaN(x) ? 0 : x
      p[j] = 1
      continue
    }
    t[j] = x
    p[j] = Math.min(1, 2 * tCdf(-Math.abs(x), nu))
  }
  return { t, df, p }
}

/**
 * log2 fold change of the condition over control, as scanpy's `rank_genes_groups` reports it for
 * log1p data: log2((expm1(mean condition) + 1e-9) / (expm1(mean control) + 1e-9)), i.e. the ratio
 * of the mean normalised counts the log means stand for.
 */
export function log2FoldChange(meanCondition: number, meanControl: number): number {
  return Math.log2((Math.expm1(meanCondition) + 1e-9) / (Math.expm1(meanControl) + 1e-9))
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
