import { AppError } from '../../../src-shared/contract'

/**
 * The GO perturbation graph (docs/ml-engine.md §2): for every gene with GO terms, its top-k partners by
 * Jaccard index of the two GO-term sets. Exact and sparse: invert to term → genes, then for
 * each gene accumulate intersection sizes over its terms' member lists. The work is
 * Σ_terms |genes(term)|² (about 3.7e8 for human GO), with no gene × gene matrix in memory.
 */

export interface GeneTerms {
  nGenes: number
  nTerms: number
  /** CSR gene → sorted, distinct term indices */
  indptr: Int32Array
  terms: Int32Array
}

export interface TopPartners {
  k: number
  /** CSR gene → partners, best first (Jaccard descending, then lower gene index) */
  indptr: Int32Array
  partners: Int32Array
  jaccard: Float64Array
}

export interface GoGraphOptions {
  k?: number
  signal?: AbortSignal
  onProgress?: (fraction: number) => void
}

export async function goTopPartners(input: GeneTerms, options: GoGraphOptions = {}): Promise<TopPartners> {
  const k = options.k ?? 20
  const { nGenes, nTerms, indptr, terms } = input

  // term → genes
  const tPtr = new Int32Array(nTerms + 1)
  for (let e = 0; e < terms.length; e++) tPtr[terms[e] + 1]++
  for (let t = 0; t < nTerms; t++) tPtr[t + 1] += tPtr[t]
  const tGenes = new Int32Array(terms.length)
  const fill = tPtr.slice(0, nTerms)
  for (let g = 0; g < nGenes; g++) for (let e = indptr[g]; e < indptr[g + 1]; e++) tGenes[fill[terms[e]]++] = g

  const count = new Int32Array(nGenes)
  const touched = new Int32Array(nGenes)
  const bestG = new Int32Array(k)
  const bestJ = new Float64Array(k)
  const outPtr = new Int32Array(nGenes + 1)
  const outG = new Int32Array(nGenes * k)
  const outJ = new Float64Array(nGenes * k)
  let out = 0
  let lastYield = Date.now()

  for (let g = 0; g < nGenes; g++) {
    const a = indptr[g + 1] - indptr[g]
    let nTouched = 0
    for (let e = indptr[g]; e < indptr[g + 1]; e++) {
      const t = terms[e]
      for (let m = tPtr[t]; m < tPtr[t + 1]; m++) {
        const h = tGenes[m]
        if (count[h]++ === 0) touched[nTouched++] = h
      }
    }
    // Keep the k best in a small sorted array; most candidates fail the first comparison.
    let filled = 0
    for (let x = 0; x < nTouched; x++) {
      const h = touched[x]
      const inter = count[h]
      count[h] = 0
      if (h === g) continue
      const b = indptr[h + 1] - indptr[h]
      const j = inter / (a + b - inter)
      if (filled === k) {
        const wj = bestJ[k - 1]
        if (j < wj || (j === wj && h > bestG[k - 1])) continue
      }
      let pos = filled < k ? filled++ : k - 1
      while (pos > 0 && (bestJ[pos - 1] < j || (bestJ[pos - 1] === j && bestG[pos - 1] > h))) {
        bestJ[pos] = bestJ[pos - 1]
        bestG[pos] = bestG[pos - 1]
        pos--
      }
      bestJ[pos] = j
      bestG[pos] = h
    }
    outG.set(bestG.subarray(0, filled), out)
    outJ.set(bestJ.subarray(0, filled), out)
    out += filled
    outPtr[g + 1] = out

    if ((g & 255) === 255 && Date.now() - lastYield > 50) {
      // Let progress events and a cancel request through.
      await new Promise((r) => setImmediate(r))
      lastYield = Date.now()
      if (options.signal?.aborted) throw new AppError('knowledge.cancelled', 'The knowledge build was cancelled; the previous knowledge base is still in use.')
      options.onProgress?.(g / nGenes)
    }
  }
  options.onProgress?.(1)
  return { k, indptr: outPtr, partners: outG.slice(0, out), jaccard: outJ.slice(0, out) }
}
