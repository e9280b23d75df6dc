/**
 * Highly variable genes, scanpy `highly_variable_genes(flavor='seurat', n_top_genes=n)` on
 * log-normalised data, step for step:
 *  1. X ← expm1(X) (seurat's dispersion is defined on the normalised counts);
 *  2. per gene mean and variance (ddof = 1); mean 0 → 1e-12; dispersion = var / mean;
 *     dispersion 0 → NaN; dispersion ← ln(dispersion); mean ← ln(1 + mean);
 *  3. 20 equal-width bins of mean, built like `pandas.cut(bins=20)`;
 *  4. normalised dispersion = (dispersion − bin mean) / bin std (ddof = 1, NaN skipped); in a bin
 *     whose std is NaN (a single gene) scanpy sets mean 0 and std = the bin mean, so that gene
 *     gets 1;
 *  5. the cut-off is the n-th highest non-NaN normalised dispersion; every gene at or above it is
 *     selected (ties may add genes; NaN never selects, as in scanpy ≥ 1.10).
 */
import type { CsrMatrix } from '../../io/raw-dataset'
import { Float32Memo, float32Bits } from '../../io/csr'

export interface HvgResult {
  means: Float64Array
  dispersions: Float64Array
  dispersionsNorm: Float64Array
  highlyVariable: Uint8Array
}

/** `numpy.linspace(start, stop, num)`: start + i·step, the last value exactly `stop`. */
function linspace(start: number, stop: number, num: number): Float64Array {
  const y = new Float64Array(num)
  const step = (stop - start) / (num - 1)
  for (let i = 0; i < num; i++) y[i] = i * step + start
  y[num - 1] = stop
  return y
}

/** Bin edges of `pandas.cut(x, bins=n)` (right-closed intervals, lowest edge widened by 0.1 %). */
export function pandasCutEdges(min: number, max: number, nBins: number): Float64Array {
  if (min === max) {
    const lo = min - (min !== 0 ? 0.001 * Math.abs(min) : 0.001)
    const hi = max + (max !== 0 ? 0.001 * Math.abs(max) : 0.001)
    return linspace(lo, hi, nBins + 1)
  }
  const edges = linspace(min, max, nBins + 1)
  edges[0] -= (max - min) * 0.001
  return edges
}

/** Bin of x for right-closed edges: first j with edges[j] ≥ x, minus one (`searchsorted(side='left') - 1`). */
function binOf(edges: Float64Array, x: number): number {
  let lo = 0
  let hi = edges.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (edges[mid] < x) lo = mid + 1
    else hi = mid
  }
  return lo - 1
}

/** Per-column mean and variance (ddof = 1) of expm1(X), implicit zeros included. */
export function expm1MeanVar(m: CsrMatrix): { mean: Float64Array; variance: Float64Array } {
  const sum = new Float64Array(m.nCols)
  const sumsq = new Float64Array(m.nCols)
  const memo = new Float32Memo(Math.expm1)
  const { data, indices } = m
  const bits = float32Bits(data)
  for (let k = 0; k < data.length; k++) {
    const v = memo.apply(bits[k], data[k])
    const j = indices[k]
    sum[j] += v
    sumsq[j] += v * v
  }
  const n = m.nRows
  const mean = new Float64Array(m.nCols)
  const variance = new Float64Array(m.nCols)
  for (let j = 0; j < m.nCols; j++) {
    mean[j] = sum[j] / n
    // scanpy: (E[x²] − E[x]²) · n / (n − 1)
    variance[j] = (sumsq[j] / n - mean[j] * mean[j]) * (n / (n - 1))
  }
  return { mean, variance }
}

export function highlyVariableGenesSeurat(logX: CsrMatrix, options: { nTopGenes: number; nBins?: number }): HvgResult {
  const nBins = options.nBins ?? 20
  const { mean, variance } = expm1MeanVar(logX)
  const G = logX.nCols
  const means = new Float64Array(G)
  const dispersions = new Float64Array(G)
  for (let j = 0; j < G; j++) {
    const mu = mean[j] === 0 ? 1e-12 : mean[j]
    const disp = variance[j] / mu
    dispersions[j] = disp === 0 ? NaN : Math.log(disp)
    means[j] = Math.log1p(mu)
  }

  let min = Infinity
  let max = -Infinity
  for (const v of means) {
    if (v < min) min = v
    if (v > max) max = v
  }
  const edges = pandasCutEdges(min, max, nBins)
  const bin = new Int32Array(G)
  const count = new Float64Array(nBins)
  const sum = new Float64Array(nBins)
  for (let j = 0; j < G; j++) {
    bin[j] = binOf(edges, means[j])
    if (!Number.isNaN(dispersions[j])) {
      count[bin[j]]++
      sum[bin[j]] += dispersions[j]
    }
  }
  const binMean = new Float64Array(nBins)
  const binStd = new Float64Array(nBins)
  for (let b = 0; b < nBins; b++) binMean[b] = count[b] > 0 ? sum[b] / count[b] : NaN
  const ss = new Float64Array(nBins)
  for (let j = 0; j < G; j++) if (!Number.isNaN(dispersions[j])) ss[bin[j]] += (dispersions[j] - binMean[bin[j]]) ** 2
  for (let b = 0; b < nBins; b++) {
    binStd[b] = count[b] > 1 ? Math.sqrt(ss[b] / (count[b] - 1)) : NaN
    if (Number.isNaN(binStd[b])) {
      // scanpy's single-gene bins: std takes the bin mean and the mean becomes 0.
      binStd[b] = binMean[b]
      binMean[b] = 0
    }
  }
  const dispersionsNorm = new Float64Array(G)
  for (let j = 0; j < G; j++) dispersionsNorm[j] = (dispersions[j] - binMean[bin[j]]) / binStd[bin[j]]

  const finite = dispersionsNorm.filter((v) => !Number.isNaN(v)).sort().reverse()
  const n = Math.min(options.nTopGenes, G, finite.length)
  const highlyVariable = new Uint8Array(G)
  if (n > 0) {
    const cutoff = finite[n - 1]
    for (let j = 0; j < G; j++) if (dispersionsNorm[j] >= cutoff) highlyVariable[j] = 1
  }
  return { means, dispersions, dispersionsNorm, highlyVariable }
}
