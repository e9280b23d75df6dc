/**
 * The pair map's science, without I/O or storage: which pairs a scope predicts, why a map has
 * none, each pair's GI scores from predicted changes (and, beside them, from measured ones), the
 * uncertainty cut for pairs with no seen gene, and the warnings a map carries. DesignService feeds
 * it predictions chunk by chunk, yields and cancels between pairs, and stores what it returns.
 */
import {
  AppError,
  type GiSettings,
  type MapScope,
  type ObservedGi,
  type PairGene,
  type PairGi,
} from '../../../src-shared/contract'
import { formatCondition } from '../../../src-shared/domain/conditions'
import { isWeaklyPlaced, WEAK_PLACEMENT_SHARE } from '../../../src-shared/domain/gene-placement'
import { callGi } from '../../../src-shared/domain/gi-call'
import { GI_DEFAULTS } from '../../../src-shared/domain/gi-thresholds'
import { median } from '../../../src-shared/domain/statistics'
import { pct } from '../../../src-shared/exports/numbers'
import { gather } from '../../ml/gi/gi-scores'
import { listSome } from '../../../src-shared/domain/list-some'
import type { BatchPrediction } from '../predictions/prediction-service'
import { fitLessOwn, meanSd, positionsOf, r7, scorePair, SEEN, type ObservedScorer } from './scoring'

/** Pairs to predict, as indices into the gene list, and how many pairs the scope leaves out. */
export interface PairPlan {
  predicted: [number, number][]
  left: number
}

/**
 * Pairs to predict under a scope, and how many it leaves out. With `all`, those with at least one
 * seen gene come first: their uncertainty sets the cut for the rest.
 */
export function pairPlan(genes: PairGene[], scope: MapScope): PairPlan {
  const bySeen: [number, number][][] = [[], [], []]
  for (let i = 0; i < genes.length; i++) {
    for (let j = i + 1; j < genes.length; j++) bySeen[Number(SEEN(genes[i].status)) + Number(SEEN(genes[j].status))].push([i, j])
  }
  const [none, one, two] = bySeen
  if (scope === 'both') return { predicted: two, left: one.length + none.length }
  if (scope === 'placed') {
    const placed = one.filter(([i, j]) => !isWeaklyPlaced(genes[i]) && !isWeaklyPlaced(genes[j]))
    return { predicted: [...two, ...placed], left: one.length - placed.length + none.length }
  }
  if (scope === 'seen') return { predicted: [...two, ...one], left: none.length }
  return { predicted: [...two, ...one, ...none], left: 0 }
}

/** Why a map has no pair to predict under its scope, and which scope would give some. */
export function noPairsMessage(genes: PairGene[], scope: MapScope, runId: number, left: number): string {
  const list = listSome(genes.map((g) => g.gene), 12)
  if (scope === 'both') return `None of the ${left} pairs of ${list} has two genes run ${runId} saw in training; choose pairs with at least one seen gene (scope placed, the default) or all pairs (scope all, CLI --scope all).`
  if (scope === 'placed' && genes.some((g) => SEEN(g.status))) {
    const weak = genes.filter(isWeaklyPlaced).map((g) => g.gene)
    return `Every pair of ${list} has a gene run ${runId} saw in training but pairs it with a gene it cannot place by GO (${listSome(weak, 8)}: less than ${pct(WEAK_PLACEMENT_SHARE)} of its GO embedding from genes it trained on); choose pairs with at least one seen gene (scope seen, CLI --scope seen) to map them anyway.`
  }
  return `None of the ${left} pairs of ${list} has a gene run ${runId} saw in training; choose all pairs (scope all, CLI --scope all) to keep them under the uncertainty cut.`
}

/** A fit needs 3 genes once the pair's own two are left out. */
export function requireFitGenes(base: Int32Array, measured: number, settings: GiSettings): void {
  if (base.length < 5) {
    throw new AppError('design.too-few-fit-genes', `Only ${base.length} of the dataset's ${measured.toLocaleString('en')} genes have a control mean above the expression threshold ${settings.expressionThreshold}, too few to fit a pair's interaction; lower the expression threshold (the default is ${GI_DEFAULTS.expressionThreshold}).`)
  }
}

/**
 * Whether the uncertainty head fails to tell pairs with no seen gene from the others: their median
 * SD is less than 5 % above that of pairs with a seen gene (a head that knew what the run never saw
 * would rate them clearly less certain). Measured on norman-like run 12: medians 1.651 (no seen
 * gene), 1.644 (one), 1.638 (two). Null when it does tell them apart or there are too few pairs.
 */
export function uncertaintyBlindToUnseen(seenSd: number[], unseenSd: number[]): { seen: number; unseen: number } | null {
  if (seenSd.length < 3 || unseenSd.length < 3) return null
  const seen = median(seenSd)
  const unseen = median(unseenSd)
  return unseen < 1.05 * seen ? { seen, unseen } : null
}

export interface PairMapInput {
  runId: number
  genes: PairGene[]
  plan: PairPlan
  scope: MapScope
  maxUncertainty: number | 'auto'
  settings: GiSettings
  /** the source's gene axis and the fit's genes on it (`base`): every prediction holds just these columns */
  axis: string[]
  base: Int32Array
  /** the map's genes alone, row i = genes[i] */
  singles: BatchPrediction
  /** the dataset's measured pairs, when it could be opened */
  observed: ObservedScorer | null
}

/** What a map holds once every pair of its plan is scored (the rest is provenance). */
export interface ScoredPairs {
  pairs: PairGi[]
  singles: { gene: string; status: PairGene['status']; uncertainty: number | null; measured: boolean }[]
  maxUncertainty: number | null
  excluded: number
  warnings: string[]
}

/**
 * Scores a map's pairs as their predictions arrive (`add`, one pair at a time, in plan order),
 * applying the uncertainty cut to pairs with no seen gene; `finish` gives the scored map.
 */
export class PairMapScorer {
  private readonly pairs: PairGi[] = []
  private readonly seenUncertainty: number[] = []
  private readonly unseenUncertainty: number[] = []
  private readonly hasSd: boolean
  private readonly geneIndex: Map<string, number>
  private readonly column: Map<number, number>
  private cut: number | null
  private excluded: number

  constructor(private readonly input: PairMapInput) {
    this.hasSd = input.singles.variance !== null
    this.geneIndex = new Map(input.axis.map((g, i) => [g, i]))
    this.column = positionsOf(input.base)
    this.cut = input.scope === 'all' && this.hasSd && typeof input.maxUncertainty === 'number' ? input.maxUncertainty : null
    this.excluded = input.plan.left
  }

  private fitFor(names: string[]): Int32Array {
    return fitLessOwn(this.input.base, this.geneIndex, names)
  }

  private columnsOf(idx: Int32Array): Int32Array {
    return idx.map((g) => this.column.get(g)!)
  }

  /** Row r of a batch: the pair at position k of the plan. */
  add(batch: BatchPrediction, r: number, k: number): void {
    const { genes, settings, singles, observed, scope } = this.input
    const R = this.input.base.length
    const [i, j] = this.input.plan.predicted[k]
    const A = genes[i]
    const B = genes[j]
    const seen = Number(SEEN(A.status)) + Number(SEEN(B.status))
    const idx = this.fitFor([A.gene, B.gene])
    const at = this.columnsOf(idx)
    const uncertainty = batch.variance ? r7(meanSd(batch.variance, at, r, R)) : null
    if (seen === 0 && scope === 'all' && this.hasSd) {
      this.unseenUncertainty.push(uncertainty!)
      if (this.cut === null) this.cut = this.seenUncertainty.length ? median(this.seenUncertainty) : Infinity
      if (uncertainty! > this.cut) {
        this.excluded++
        return
      }
    } else if (uncertainty !== null) this.seenUncertainty.push(uncertainty)
    const fit = scorePair(gather(singles.modelChange, at, i, R), gather(singles.modelChange, at, j, R), gather(batch.modelChange, at, r, R), settings)
    const condition = formatCondition([A.gene, B.gene])
    this.pairs.push({
      condition,
      genes: A.gene < B.gene ? [A, B] : [B, A],
      seen,
      scores: fit.scores,
      call: fit.scores ? callGi(fit.scores, settings.thresholds) : null,
      uncertainty,
      observed: observed?.pair(condition, idx, settings) ?? null,
      ...(fit.note ? { note: fit.note } : {}),
    })
  }

  finish(): ScoredPairs {
    const { genes, singles, observed, scope, runId } = this.input
    const R = this.input.base.length
    return {
      pairs: this.pairs,
      singles: genes.map((g, i) => ({
        gene: g.gene,
        status: g.status,
        uncertainty: singles.variance ? r7(meanSd(singles.variance, this.columnsOf(this.fitFor([g.gene])), i, R)) : null,
        measured: observed?.has(formatCondition([g.gene])) ?? false,
      })),
      maxUncertainty: scope === 'all' && this.hasSd ? r7(this.cut ?? median(this.seenUncertainty)) : null,
      excluded: this.excluded,
      warnings: mapWarnings(genes, scope, runId, this.hasSd, uncertaintyBlindToUnseen(this.seenUncertainty, this.unseenUncertainty), this.unseenUncertainty.length),
    }
  }
}

/** What a reader of the map must know: genes the run cannot place, no uncertainty filter, an uncertainty head blind to what the run never saw. */
function mapWarnings(genes: PairGene[], scope: MapScope, runId: number, hasSd: boolean, blind: { seen: number; unseen: number } | null, unseenPairs: number): string[] {
  const warnings: string[] = []
  const weak = scope === 'both' ? [] : genes.filter(isWeaklyPlaced).map((g) => g.gene)
  if (weak.length) {
    const cannotPlace = `${weak.length} of the map's genes the run never saw perturbed (${listSome(weak, 8)}) take less than ${pct(WEAK_PLACEMENT_SHARE)} of their GO embedding from genes it trained on: the run predicts them much as any gene it cannot place`
    warnings.push(
      scope === 'placed'
        ? `${cannotPlace}, so their pairs were left out. To map them anyway, choose pairs with at least one seen gene (scope seen, CLI --scope seen).`
        : `${cannotPlace}, so their pairs' scores say little about them.`,
    )
  }
  if (scope === 'all' && !hasSd) warnings.push(`Run ${runId} has no uncertainty head, so pairs with no seen gene are kept unfiltered; train with the uncertainty head to filter them.`)
  if (blind) {
    warnings.push(
      `The uncertainty head rates the ${unseenPairs.toLocaleString('en')} pairs with no seen gene no less certain than the others (median SD ${blind.unseen.toFixed(3)} against ${blind.seen.toFixed(3)}): it measures the spread of cells, not what the run never saw, so the cut kept those pairs by chance rather than because they are better known. Read them with care, or map pairs with a seen gene only.`,
    )
  }
  return warnings
}

/** One pair the dataset measured, scored on its condition means; or why it is skipped. */
export function scoreMeasuredPair(
  scorer: ObservedScorer,
  base: Int32Array,
  geneIndex: Map<string, number>,
  c: { condition: string; genes: string[]; cells: number },
  settings: GiSettings,
): { pair: ObservedGi['pairs'][number] } | { skipped: ObservedGi['skipped'][number] } {
  const missing = c.genes.filter((g) => !scorer.has(formatCondition([g])))
  if (missing.length) return { skipped: { condition: c.condition, reason: `${missing.join(' and ')} ${missing.length > 1 ? 'were' : 'was'} not measured alone` } }
  const obs = scorer.pair(c.condition, fitLessOwn(base, geneIndex, c.genes), settings)!
  return { pair: { condition: c.condition, genes: [c.genes[0], c.genes[1]], scores: obs.scores, call: obs.call, cells: c.cells, ...(obs.scores ? {} : { note: obs.note }) } }
}
