/**
 * The target-phenotype search without I/O: the candidates (singles and pairs of a gene set), the
 * signature on the dataset's genes, each candidate's predicted change scored against it (cosine,
 * Pearson), and the ranking with ties. DesignService predicts the candidates chunk by chunk and
 * hands each row to a TargetScorer.
 */
import { AppError, type SearchHit, type SearchTie } from '../../../src-shared/contract'
import { pearson } from '../../../src-shared/domain/statistics'
import { listSome } from '../../../src-shared/domain/list-some'
import type { BatchPrediction } from '../predictions/prediction-service'
import { positionsOf, r7 } from './scoring'
import type { Signature } from './signature'
import { rankWithTies, samePrediction, topGroups } from './ties'

/** Candidates as indices into the gene list: every single, then (when asked) every pair. */
export function searchSets(genes: number, withPairs: boolean): number[][] {
  const sets: number[][] = Array.from({ length: genes }, (_, i) => [i])
  if (withPairs) for (let i = 0; i < genes; i++) for (let j = i + 1; j < genes; j++) sets.push([i, j])
  return sets
}

/** The signature on the measured genes: dataset indices, values, and the columns a prediction is asked for. */
export interface SignatureAxis {
  /** the signature's measured genes (dataset indices) and their target values */
  sigIdx: number[]
  sigVal: number[]
  /** signature genes the dataset does not measure */
  unmatched: string[]
  /** distinct sigIdx, sorted: the columns predicted */
  columns: Int32Array
  /** where each of sigIdx sits among `columns` */
  sigAt: number[]
}

export function signatureAxis(signature: Signature, genes: string[], datasetName: string): SignatureAxis {
  const axis = new Map(genes.map((g, i) => [g.toUpperCase(), i]))
  const sigIdx: number[] = []
  const sigVal: number[] = []
  const unmatched: string[] = []
  signature.genes.forEach((g, k) => {
    const i = axis.get(g.toUpperCase())
    if (i === undefined) unmatched.push(g)
    else {
      sigIdx.push(i)
      sigVal.push(signature.values[k])
    }
  })
  if (sigIdx.length === 0) {
    throw new AppError(
      'design.signature-no-overlap',
      `None of the ${signature.genes.length} signature genes (${listSome(signature.genes, 5)}) is measured in dataset ${datasetName}; the search scores perturbations on the signature genes the dataset measures. Check the symbols (same naming as the dataset's genes).`,
    )
  }
  // Predicted on the signature's genes only (`columns`, distinct), read back by position.
  const columns = Int32Array.from(new Set(sigIdx)).sort()
  const position = positionsOf(columns)
  return { sigIdx, sigVal, unmatched, columns, sigAt: sigIdx.map((g) => position.get(g)!) }
}

/** Scores candidates as their predictions arrive (`add`, one row at a time); `ranked` gives the top hits with ties. */
export class TargetScorer {
  private readonly hits: Omit<SearchHit, 'rank' | 'tie'>[] = []
  private readonly axis: Map<string, number>
  // Each candidate's predicted change on the signature genes, to tell identical predictions from merely close scores.
  private readonly keepVectors: boolean
  private readonly vectors: Float32Array[] = []
  private readonly owns: Set<number>[] = []

  constructor(
    private readonly sig: SignatureAxis,
    private readonly genes: string[],
    private readonly excludePerturbed: boolean,
    candidates: number,
  ) {
    this.axis = new Map(genes.map((g, i) => [g.toUpperCase(), i]))
    this.keepVectors = candidates * sig.sigIdx.length <= 8_000_000
  }

  add(batch: BatchPrediction, r: number): void {
    const { sigIdx, sigAt, sigVal, columns } = this.sig
    const set = batch.sets[r]
    const own = new Set(this.excludePerturbed ? set.genes.map((g) => this.axis.get(g.toUpperCase())).filter((i): i is number => i !== undefined) : [])
    const hit = scoreAgainst(batch, r, columns.length, sigIdx, sigAt, sigVal, own, this.genes)
    this.hits.push({ condition: set.condition, genes: set.flags, ...hit })
    if (this.keepVectors) {
      this.vectors.push(Float32Array.from(sigAt, (a) => batch.modelChange[r * columns.length + a]))
      this.owns.push(own)
    }
  }

  ranked(rankBy: 'cosine' | 'pearson', tolerance: number, top: number): { hits: SearchHit[]; ties: SearchTie[] } {
    const { vectors, owns } = this
    const { sigIdx } = this.sig
    return rankedHits(this.hits, rankBy, tolerance, top, this.keepVectors ? (i, j) => samePrediction(vectors[i], vectors[j], (k) => owns[i].has(sigIdx[k]) || owns[j].has(sigIdx[k])) : null)
  }
}

/**
 * The top hits with shared ranks: candidates whose scores lie within `tolerance` form one tie
 * (alphabetical, one rank); `same(i, j)` says whether candidates i and j (indices into `hits`)
 * are predicted identically, when the predictions were kept.
 */
export function rankedHits(
  hits: Omit<SearchHit, 'rank' | 'tie'>[],
  rankBy: 'cosine' | 'pearson',
  tolerance: number,
  top: number,
  same: ((i: number, j: number) => boolean) | null,
): { hits: SearchHit[]; ties: SearchTie[] } {
  // A candidate none of whose signature genes was left to score (its own gene was the signature) has no score, not a score of 0.
  const scored = hits.map((h, i) => ({ condition: h.condition, score: h.genesScored === 0 ? NaN : rankBy === 'pearson' ? (h.pearson ?? NaN) : h.cosine, i }))
  const groups = topGroups(rankWithTies(scored, tolerance), top)
  const out: SearchHit[] = []
  const ties: SearchTie[] = []
  for (const g of groups) {
    // the unscored (last group) are not tied, they are not ranked at all
    const tie = g.members.length > 1 && Number.isFinite(g.scoreRange[1]) ? ties.length + 1 : null
    if (tie !== null) {
      const first = g.members[0].i
      ties.push({
        tie,
        rank: g.rank,
        conditions: g.members.map((m) => m.condition),
        scoreRange: [r7(g.scoreRange[0]), r7(g.scoreRange[1])],
        identical: same !== null && g.members.every((m) => same(first, m.i)),
      })
    }
    for (const m of g.members) out.push({ ...hits[m.i], rank: g.rank, tie })
  }
  return { hits: out, ties }
}

/** Row r of the batch against the signature: its genes sigIdx (dataset indices), at columns sigAt of the batch's `width`. */
function scoreAgainst(batch: BatchPrediction, r: number, width: number, sigIdx: number[], sigAt: number[], sigVal: number[], own: Set<number>, genes: string[]): Omit<SearchHit, 'condition' | 'genes' | 'rank' | 'tie'> {
  // The signature's genes other than the perturbed ones themselves (their own shift says nothing).
  const pred: number[] = []
  const target: number[] = []
  let dot = 0
  let pp = 0
  let tt = 0
  const agree: { gene: string; target: number; predicted: number; score: number }[] = []
  for (let k = 0; k < sigIdx.length; k++) {
    if (own.has(sigIdx[k])) continue
    const p = batch.modelChange[r * width + sigAt[k]]
    const t = sigVal[k]
    pred.push(p)
    target.push(t)
    dot += p * t
    pp += p * p
    tt += t * t
    agree.push({ gene: genes[sigIdx[k]], target: t, predicted: p, score: p * Math.sign(t) })
  }
  const n = pred.length
  const correlation = pearson(pred, target)
  agree.sort((x, y) => y.score - x.score)
  const sd = batch.variance
  let unc: number | null = null
  if (sd && n) {
    let s = 0
    for (let k = 0; k < sigIdx.length; k++) if (!own.has(sigIdx[k])) s += Math.sqrt(Math.max(0, sd[r * width + sigAt[k]]))
    unc = r7(s / n)
  }
  return {
    cosine: pp > 0 && tt > 0 ? r7(dot / Math.sqrt(pp * tt)) : 0,
    pearson: Number.isNaN(correlation) ? null : r7(correlation),
    genesScored: n,
    uncertainty: unc,
    topMatches: agree
      .filter((a) => a.score > 0)
      .slice(0, 5)
      .map(({ gene, target, predicted }) => ({ gene, target, predicted: r7(predicted) })),
  }
}
