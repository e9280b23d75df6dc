/**
 * The guide plan without I/O: shortlisted items checked, and each row assembled from one batch
 * prediction (the items and the singles of their pairs), the stored map's scores where it has
 * them, and the dataset's guides and measured conditions. DesignService predicts and loads.
 */
import { AppError, type GeneGuides, type GiMap, type GiScores, type GiSettings, type GuidePlan, type GuidePlanRow } from '../../../src-shared/contract'
import { callGi } from '../../../src-shared/domain/gi-call'
import { topByMagnitude } from '../../../src-shared/domain/statistics'
import { fitGenes, gather } from '../../ml/gi/gi-scores'
import type { PreparedDataset } from '../datasets/prepared-dataset'
import type { BatchPrediction } from '../predictions/prediction-service'
import { guidesOf } from './guide-knockdown'
import { fitLessOwn, meanSd, observedScorer, r7, scorePair, slimSource } from './scoring'

/** Each shortlisted item ("A", "A+B") as its genes; refuses items of no gene or of three. */
export function planItems(items: string[]): string[][] {
  const genes = items.map((t) => t.split(/[+,\s]+/).filter((g) => g && g.toLowerCase() !== 'ctrl'))
  const empty = items.filter((_, i) => genes[i].length === 0)
  if (empty.length) throw new AppError('design.bad-item', `"${empty[0]}" names no gene; shortlist perturbations like "A" or "A+B".`)
  const tooBig = items.filter((_, i) => genes[i].length > 2)
  if (tooBig.length) throw new AppError('design.bad-item', `${tooBig.join(', ')}: a guide plan holds single genes and pairs.`)
  return genes
}

/** The singles a plan's items need beside them, each once. */
export function planSingles(items: string[][]): string[] {
  return [...new Set(items.flat())]
}

export interface GuidePlanInput {
  runId: number
  topGenes: number
  items: string[][]
  /** predictions of the items, then of planSingles(items), in one request (same base) */
  all: BatchPrediction
  settings: GiSettings
  /** the map they were shortlisted from: its pairs' scores are reused */
  map: GiMap | null
  /** the run's dataset, null when it could not be opened (the plan then lists no guides) */
  dataset: PreparedDataset | null
}

export function guidePlan({ runId, topGenes, items, all, settings, map, dataset: ds }: GuidePlanInput): GuidePlan {
  const G = all.source.genes.length
  const singleRow = new Map(all.sets.slice(items.length).map((s, k) => [s.genes[0], items.length + k]))
  const geneIndex = new Map(all.source.genes.map((g, i) => [g, i]))
  const base = fitGenes(all.source.controlMean, settings.expressionThreshold)
  const observed = ds ? observedScorer(ds, all.source.genes) : null
  const guides = ds
    ? guidesOf(ds, all.source.datasetName, all.sets.slice(0, items.length).flatMap((s) => s.genes))
    : { source: { guideColumn: null, replicateColumn: null, replicates: [], controlCells: 0, note: `Dataset “${all.source.datasetName}” could not be opened, so the plan lists no guides.` }, genes: new Map<string, GeneGuides>() }
  const fromMap = new Map(map?.pairs.map((p) => [p.condition, p]) ?? [])
  const seenConditions = new Set<string>()
  const rows: GuidePlanRow[] = []
  for (let r = 0; r < items.length; r++) {
    const set = all.sets[r]
    if (seenConditions.has(set.condition)) continue
    seenConditions.add(set.condition)
    const idx = fitLessOwn(base, geneIndex, set.genes)
    let scores: GiScores | null = null
    let uncertainty = all.variance ? r7(meanSd(all.variance, idx, r, G)) : null
    const stored = fromMap.get(set.condition)
    if (set.genes.length === 2) {
      if (stored) {
        scores = stored.scores
        uncertainty = stored.uncertainty
      } else {
        const [ia, ib] = set.genes.map((g) => singleRow.get(g)!)
        scores = scorePair(gather(all.modelChange, idx, ia, G), gather(all.modelChange, idx, ib, G), gather(all.modelChange, idx, r, G), settings).scores
      }
    }
    const change = all.change.subarray(r * G, (r + 1) * G)
    rows.push({
      condition: set.condition,
      genes: set.flags,
      guides: set.genes.map((g) => guides.genes.get(g) ?? { gene: g, targeted: false, expressionMeasured: false, knockdown: null, guides: [], note: null }),
      scores,
      call: scores ? callGi(scores, settings.thresholds) : null,
      uncertainty,
      topChanges: topByMagnitude(change, topGenes).map((g) => ({ gene: all.source.genes[g], change: r7(change[g]) })),
      measured: observed?.has(set.condition) ?? false,
    })
  }
  return { runId, mapId: map?.mapId ?? null, source: slimSource(all.source), settings, guideSource: guides.source, rows }
}
