/**
 * GI detection (docs/ml-engine.md §7, Ahlmann-Eltze, Huber & Anders 2025): can a model tell which pairs of
 * perturbations interact? Over pairs with a known type (declared in synthetic screens, or called
 * from observed data by §9), pairs are ranked by the predicted deviation from additivity; we
 * report the true-positive rate of non-additive pairs at a false-discovery proportion ≤ 0.5 and
 * the area under the ROC curve of the same ranking, and per interaction type the AUROC of a
 * ranking by the predicted change in magnitude.
 *
 * All inputs are changes from control (predicted or observed mean expression − control mean).
 */

type Vec = ArrayLike<number>

/** Ascending numeric order that also holds for ±Infinity (a − b is NaN for two infinities of one sign). */
const ascending = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0)

export interface DetectionPair {
  pair: string
  /** true type, e.g. 'additive', 'synergy', 'suppression', 'neomorphic', 'epistasis', 'redundant' */
  type: string
  /** score: larger = more confidently non-additive */
  score: number
  /** predicted magnitude change |Δ_AB|² − |Δ_A + Δ_B|² (for the per-type AUROC) */
  magnitude?: number
}

export interface DetectionResult {
  /** pairs ranked (those with a score that is a number) */
  pairs: number
  /** of which non-additive (type other than 'additive') */
  nonAdditive: number
  /** largest TPR over cuts of the ranking with FDP ≤ maxFdp; NaN without non-additive pairs */
  tprAtFdp50: number
  /** Mann–Whitney AUROC of the score, non-additive pairs as positives; NaN without both kinds */
  auroc: number
  /** per non-additive type: its pairs and the AUROC of its ranking (see `typeRanking`) against all other pairs */
  perType: Record<string, { n: number; auroc: number }>
}

export const ADDITIVE_TYPE = 'additive'

function checkLengths(what: string, ...vectors: ArrayLike<unknown>[]): void {
  const n = vectors[0].length
  for (const v of vectors) if (v.length !== n) throw new Error(`${what} needs vectors of one length (got ${vectors.map((x) => x.length).join(', ')})`)
}

/**
 * ‖predAB − (obsA + obsB)‖² over `genes` (every gene when omitted): how far the predicted pair
 * lies from the additive expectation of the observed singles. Inputs are changes from control.
 */
export function deviationScore(predAB: Vec, obsA: Vec, obsB: Vec, genes?: Vec): number {
  checkLengths('deviationScore', predAB, obsA, obsB)
  const n = genes ? genes.length : predAB.length
  let s = 0
  for (let i = 0; i < n; i++) {
    const g = genes ? genes[i] : i
    const d = predAB[g] - obsA[g] - obsB[g]
    s += d * d
  }
  return s
}

/**
 * |Δ_AB|² − |Δ_A + Δ_B|² over `genes` (every gene when omitted): positive when the pair moves
 * expression further than its singles summed (synergy), negative when less (buffering,
 * suppression, redundancy). Inputs are changes from control.
 */
export function magnitudeChange(predAB: Vec, predA: Vec, predB: Vec, genes?: Vec): number {
  checkLengths('magnitudeChange', predAB, predA, predB)
  const n = genes ? genes.length : predAB.length
  let sAB = 0
  let sSum = 0
  for (let i = 0; i < n; i++) {
    const g = genes ? genes[i] : i
    const ab = predAB[g]
    const sum = predA[g] + predB[g]
    sAB += ab * ab
    sSum += sum * sum
  }
  return sAB - sSum
}

/**
 * Which value ranks a type's pairs first: `magnitude` for synergy (high = positive); −`magnitude`
 * for suppression, buffering and redundancy (low = positive); the deviation `score` for
 * neomorphic, epistasis and any other type.
 */
export function typeRanking(type: string): 'magnitude' | '-magnitude' | 'score' {
  const t = type.toLowerCase()
  if (t.includes('synerg')) return 'magnitude'
  if (t.includes('suppress') || t.includes('buffer') || t.includes('redundan')) return '-magnitude'
  return 'score'
}

/**
 * Mann–Whitney AUROC: the probability that a positive outranks a negative, ties counted half
 * (midranks). NaN without both positives and negatives.
 */
export function aurocOf(values: Vec, positive: ArrayLike<boolean>): number {
  checkLengths('aurocOf', values, positive)
  const n = values.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ascending(values[a], values[b]))
  let nPos = 0
  let rankSumPos = 0
  for (let i = 0; i < n; ) {
    let j = i
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++
    const midrank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) {
      if (positive[order[k]]) {
        nPos++
        rankSumPos += midrank
      }
    }
    i = j + 1
  }
  const nNeg = n - nPos
  if (nPos === 0 || nNeg === 0) return NaN
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg)
}

/**
 * Largest TPR over cuts of the ranking by `score` (descending) whose FDP ≤ maxFdp; pairs with tied
 * scores enter the ranking together (one cut after the whole block), so the result does not
 * depend on how ties are ordered. FDP at a cut = additive pairs above it / pairs above it;
 * TPR = non-additive pairs above it / all non-additive pairs. 0 when no cut qualifies, NaN without
 * non-additive pairs.
 *
 * A predictor whose score is constant (the additive predictor, whose deviation is always 0; the
 * no-change predictor on a screen where |obsA + obsB| is the same for all pairs) is one block:
 * its TPR is 1 when the overall non-additive share is ≥ 1 − maxFdp, else 0.
 */
export function tprAtFdp(scores: Vec, positive: ArrayLike<boolean>, maxFdp = 0.5): number {
  checkLengths('tprAtFdp', scores, positive)
  const n = scores.length
  let totalPos = 0
  for (let i = 0; i < n; i++) if (positive[i]) totalPos++
  if (totalPos === 0) return NaN
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ascending(scores[b], scores[a]))
  let best = 0
  let tp = 0
  let k = 0
  for (let i = 0; i < n; ) {
    let j = i
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++
    for (let m = i; m <= j; m++) if (positive[order[m]]) tp++
    k = j + 1
    // compare counts, not the ratio, so FDP exactly at the bound (e.g. 1/2) counts without rounding
    if (k - tp <= maxFdp * k) best = Math.max(best, tp / totalPos)
    i = j + 1
  }
  return best
}

/**
 * TPR at FDP ≤ maxFdp (default 0.5) and AUROC of the ranking by score, non-additive pairs as
 * positives; per non-additive type, the AUROC of its `typeRanking` with that type's pairs as
 * positives and every other pair (additive or another type) as negatives. Pairs whose score is NaN
 * are left out of everything; pairs without a magnitude (or NaN) are left out of the
 * magnitude-ranked types' AUROCs (`n` counts the type's pairs that were ranked).
 */
export function giDetection(pairs: DetectionPair[], options: { maxFdp?: number } = {}): DetectionResult {
  const maxFdp = options.maxFdp ?? 0.5
  const ranked = pairs.filter((p) => !Number.isNaN(p.score))
  const scores = ranked.map((p) => p.score)
  const nonAdd = ranked.map((p) => p.type !== ADDITIVE_TYPE)
  const nonAdditive = nonAdd.filter(Boolean).length

  const perType: Record<string, { n: number; auroc: number }> = {}
  const types = [...new Set(ranked.map((p) => p.type))].filter((t) => t !== ADDITIVE_TYPE).sort()
  for (const type of types) {
    const how = typeRanking(type)
    const used = how === 'score' ? ranked : ranked.filter((p) => p.magnitude !== undefined && !Number.isNaN(p.magnitude))
    const values = used.map((p) => (how === 'score' ? p.score : how === 'magnitude' ? p.magnitude! : -p.magnitude!))
    const positive = used.map((p) => p.type === type)
    perType[type] = { n: positive.filter(Boolean).length, auroc: aurocOf(values, positive) }
  }

  return {
    pairs: ranked.length,
    nonAdditive,
    tprAtFdp50: tprAtFdp(scores, nonAdd, maxFdp),
    auroc: aurocOf(scores, nonAdd),
    perType,
  }
}
