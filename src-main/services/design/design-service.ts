/**
 * Experiment design (docs/ml-engine.md §9): GI pair maps of a gene set from a run's predictions, GI scores of the
 * pairs a dataset measured, the target-phenotype search and the guide plan.
 *
 * This service wires the store, the job and the prediction engine to the pure pipelines beside
 * it (pair-map, target-search, guide-plan): it resolves the genes, asks for a go-ahead when the
 * work is large, predicts in the prediction worker (batched through predictMany, a chunk of
 * conditions per request, on the genes the scores read: `columns`) while the previous chunk is
 * scored here, yields between pairs so the app stays responsive, cancels between pairs, and
 * stores a map only once it is complete.
 */
import {
  AppError,
  PREDICT_DEFAULTS,
  type ConfirmNeeded,
  type DatasetSummary,
  type GiMap,
  type GiMapSummary,
  type GoPlacement,
  type GuidePlan,
  type MapEstimate,
  type MapScope,
  type ObservedGi,
  type PairGene,
  type PredictGenes,
  type PredictionSource,
  type SearchEstimate,
  type SearchResult,
} from '../../../src-shared/contract'
import { fitGenes, giScores } from '../../ml/gi/gi-scores'
import { GI_DEFAULTS } from '../../../src-shared/domain/gi-thresholds'
import { costText, mapCostText } from '../../../src-shared/domain/design-cost'
import type { PreparedDataset } from '../datasets/prepared-dataset'
import type { Job } from '../jobs'
import type { KnowledgeBase } from '../knowledge/knowledge-base'
import type { BatchPrediction } from '../predictions/prediction-service'
import { MapStore, summaryOf } from './map-store'
import type { DesignMapsRepo, MapOwner } from '../../db/design-maps-repo'
import { parseSignature, type SignatureInput } from './signature'
import { guidePlan, planItems, planSingles } from './guide-plan'
import { noPairsMessage, pairPlan, PairMapScorer, requireFitGenes, scoreMeasuredPair, type PairPlan } from './pair-map'
import { observedScorer, SEEN, settingsOf, slimSource, type SettingsInput } from './scoring'
import { searchSets, signatureAxis, TargetScorer } from './target-search'

export interface DesignServiceDeps {
  home: string
  /** the `design_maps` rows that tie each stored map to its run */
  maps: DesignMapsRepo
  predictions: {
    genes(runId: number): Promise<PredictGenes>
    /** an unseen gene's GO placement (null for seen genes and baselines) */
    placements(runId: number, genes: string[]): Promise<(GoPlacement | null)[]>
    predictMany(runId: number, sets: string[][], options: { controlCells: number | 'all'; seed: number; columns?: Int32Array }): Promise<BatchPrediction>
    sourceOf(runId: number, options: { controlCells: number | 'all'; seed: number }): Promise<PredictionSource>
    /** prediction workers a request of this many sets is split over */
    workersFor(sets: number): number
  }
  datasets: { load(id: number): Promise<PreparedDataset>; require(id: number): { summary: DatasetSummary } }
  knowledgeBase(release: string): Promise<KnowledgeBase | null>
  /** conditions per prediction request (cancel latency vs. overhead) */
  chunk?: number
}

export type { SettingsInput }

export interface GeneSourceInput {
  genes?: string[]
  pathwayId?: string
}

export interface MapInput extends GeneSourceInput, SettingsInput {
  runId: number
  scope: MapScope
  maxUncertainty: number | 'auto'
  confirm: boolean
  name?: string
}

export interface SearchInput extends GeneSourceInput {
  runId: number
  signature: SignatureInput
  pairs: boolean
  rankBy: 'cosine' | 'pearson'
  top: number
  excludePerturbed: boolean
  tieTolerance: number
  confirm: boolean
}

export interface PlanInput extends SettingsInput {
  runId: number
  mapId?: number
  items: string[]
  topGenes: number
}

const PREDICT_OPTIONS = { controlCells: PREDICT_DEFAULTS.controlCells, seed: PREDICT_DEFAULTS.seed }

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve))

/** The refusal of work too large to start unasked: its cost as data, the instruction in the API's words (each front end words its own). */
function confirmNeeded(ask: ConfirmNeeded, instruction: string): AppError {
  return new AppError('design.confirm-needed', `${costText(ask)} ${instruction}`, ask)
}

/**
 * Predictions of `total` conditions, `chunk` at a time: the worker predicts the next chunk while
 * the caller scores this one. `waitedMs` is how long this chunk kept the caller waiting.
 */
async function* prefetched(total: number, chunk: number, predict: (from: number, to: number) => Promise<BatchPrediction>): AsyncGenerator<{ from: number; batch: BatchPrediction; waitedMs: number }> {
  let next: Promise<BatchPrediction> | null = total ? predict(0, chunk) : null
  for (let from = 0; from < total; from += chunk) {
    const waited = performance.now()
    const batch = await next!
    const waitedMs = performance.now() - waited
    next = from + chunk < total ? predict(from + chunk, from + 2 * chunk) : null
    next?.catch(() => undefined)
    yield { from, batch, waitedMs }
  }
}

interface ResolvedGenes {
  genes: PairGene[]
  origin: string
  skipped: { gene: string; reason: string }[]
  vocab: PredictGenes
}

interface Calibration {
  msPerCondition: number
  msPerPair: number
}

export class DesignService {
  readonly store: MapStore
  private readonly calibration = new Map<number, Calibration>()

  constructor(private readonly deps: DesignServiceDeps) {
    this.store = MapStore.forHome(deps.home, deps.maps)
  }

  /** Conditions per prediction request: what maps and searches send, and what the estimate times. */
  private get chunk(): number {
    return this.deps.chunk ?? 64
  }

  // ── gene sets ──────────────────────────────────────────────────────────────────────

  /** Typed genes or a pathway → genes the run can predict, with their status; refusals name every gene at fault. */
  async resolveGenes(runId: number, input: GeneSourceInput, purpose: 'map' | 'search'): Promise<ResolvedGenes> {
    const vocab = await this.deps.predictions.genes(runId)
    const status = new Map(vocab.genes.map((g) => [g.gene, g.status]))
    if (input.genes?.length && input.pathwayId) throw new AppError('design.two-gene-sources', 'Give either genes or a pathway, not both.')
    let typed: string[]
    let origin = 'typed'
    const skipped: { gene: string; reason: string }[] = []
    if (input.pathwayId) {
      const kb = vocab.knowledgeRelease ? await this.deps.knowledgeBase(vocab.knowledgeRelease) : null
      if (!kb) throw new AppError('design.no-knowledge', `Run ${runId} was trained without a knowledge release, so there are no pathways to pick genes from; type the genes instead.`)
      const p = kb.pathway(input.pathwayId)
      origin = `pathway ${p.id} (${p.name})`
      typed = []
      for (const g of p.allGenes) {
        if (status.has(g)) typed.push(g)
        else skipped.push({ gene: g, reason: 'the run cannot predict it (not perturbed in the dataset, and no GO partner to place it by)' })
      }
      if (typed.length === 0) throw new AppError('design.too-few-genes', `None of the ${p.allGenes.length} genes of ${origin} can be predicted by run ${runId}.`)
    } else if (input.genes?.length) {
      typed = input.genes
    } else if (purpose === 'search') {
      typed = vocab.genes.filter((g) => SEEN(g.status)).map((g) => g.gene)
      origin = 'genes seen in training'
    } else {
      throw new AppError('design.too-few-genes', 'Give the genes of the map (typed or pasted) or pick a pathway.')
    }

    const dupTyped = repeated(typed.map((g) => g.toUpperCase()))
    if (dupTyped.length) throw new AppError('design.duplicate-genes', `The gene set lists ${dupTyped.join(', ')} more than once; list each gene once.`)
    if (typed.length > GI_DEFAULTS.maxGenes) {
      throw new AppError('design.too-many-genes', `${typed.length} genes is more than a map takes (${GI_DEFAULTS.maxGenes}: ${((GI_DEFAULTS.maxGenes * (GI_DEFAULTS.maxGenes - 1)) / 2).toLocaleString('en')} pairs); choose fewer genes.`)
    }
    // Exact symbols and single case-insensitive matches here; the rest (aliases, unknown genes) through the prediction service's resolver, which names the closest symbols.
    const upper = new Map<string, string[]>()
    for (const g of status.keys()) upper.set(g.toUpperCase(), [...(upper.get(g.toUpperCase()) ?? []), g])
    const resolved: string[] = []
    const pending: number[] = []
    typed.forEach((t, i) => {
      const hit = status.has(t) ? t : upper.get(t.toUpperCase())?.length === 1 ? upper.get(t.toUpperCase())![0] : null
      if (hit) resolved[i] = hit
      else pending.push(i)
    })
    if (pending.length) {
      const r = await this.deps.predictions.predictMany(runId, pending.map((i) => [typed[i]]), PREDICT_OPTIONS)
      pending.forEach((i, k) => (resolved[i] = r.sets[k].genes[0]))
    }
    const dup = repeated(resolved)
    if (dup.length) {
      const named = dup.map((g) => `${g} (typed as ${typed.filter((_, i) => resolved[i] === g).join(', ')})`)
      throw new AppError('design.duplicate-genes', `These names are one gene: ${named.join('; ')}. List each gene once.`)
    }
    if (purpose === 'map' && resolved.length < 2) throw new AppError('design.too-few-genes', `A pair map needs at least two genes; ${resolved.length === 1 ? `only ${resolved[0]} was given` : 'none was given'}.`)
    const placedBy = await this.deps.predictions.placements(runId, resolved)
    const genes = resolved.map((g, i): PairGene => (placedBy[i] ? { gene: g, status: status.get(g)!, placedBy: placedBy[i]! } : { gene: g, status: status.get(g)! }))
    return { genes, origin, skipped, vocab }
  }

  // ── estimate ───────────────────────────────────────────────────────────────────────

  async estimate(input: GeneSourceInput & { runId: number; scope: MapScope }): Promise<MapEstimate> {
    const { genes, vocab } = await this.resolveGenes(input.runId, input, 'map')
    this.requirePairs(vocab)
    return this.estimateOf(input.runId, vocab, genes, pairPlan(genes, input.scope), input.scope)
  }

  /** The estimate of a map whose genes are resolved and pairs planned (design:estimate, and a map that asks for confirmation). */
  private async estimateOf(runId: number, vocab: PredictGenes, genes: PairGene[], plan: PairPlan, scope: MapScope): Promise<MapEstimate> {
    const conditions = genes.length + plan.predicted.length
    const cal = await this.calibrate(runId, vocab)
    const seconds = (conditions * cal.msPerCondition + plan.predicted.length * cal.msPerPair) / 1000
    const facts = { runId, genes: genes.length, pairs: plan.predicted.length, scope, left: plan.left, conditions, seconds: Math.round(seconds), needsConfirmation: plan.predicted.length > GI_DEFAULTS.confirmAbovePairs }
    return { ...facts, message: mapCostText(facts) }
  }

  /**
   * Time per predicted condition and per scored pair, measured once per run. The probe, 16 of the
   * run's genes on the fit's genes as a map predicts them, is timed on its second pass (the first
   * builds the model's kernels), and divided by the workers a map's chunk is split over.
   */
  private async calibrate(runId: number, vocab: PredictGenes): Promise<Calibration> {
    const known = this.calibration.get(runId)
    if (known) return known
    const probe = vocab.genes.slice(0, 16).map((g) => [g.gene])
    const first = await this.deps.predictions.predictMany(runId, probe.slice(0, 1), PREDICT_OPTIONS) // loads the model
    const idx = fitGenes(first.source.controlMean, GI_DEFAULTS.expressionThreshold)
    await this.deps.predictions.predictMany(runId, probe, { ...PREDICT_OPTIONS, columns: idx })
    let t = performance.now()
    const r = await this.deps.predictions.predictMany(runId, probe, { ...PREDICT_OPTIONS, columns: idx })
    const msPerCondition = (performance.now() - t) / probe.length / this.deps.predictions.workersFor(this.chunk)
    let msPerPair = 0
    if (idx.length >= 3 && probe.length >= 2) {
      // the rows hold just the fit's genes
      const a = Float64Array.from(r.modelChange.subarray(0, idx.length))
      const b = Float64Array.from(r.modelChange.subarray(idx.length, 2 * idx.length))
      const ab = a.map((v, i) => v + b[i])
      giScores(a, b, ab)
      t = performance.now()
      giScores(a, b, ab)
      msPerPair = performance.now() - t
    }
    const cal = { msPerCondition, msPerPair }
    this.calibration.set(runId, cal)
    return cal
  }

  private requirePairs(vocab: PredictGenes): void {
    // Every run predicts pairs (docs/ml-engine.md §11.4), also from a screen of singles: the map flags them.
    if (vocab.maxSetSize < 2) {
      throw new AppError('design.no-pairs', `Run ${vocab.runId} was trained on a dataset without measured pairs, so it was never taught to predict two genes at once; train on a screen with combinations to map interactions.`)
    }
  }

  // ── pair maps ──────────────────────────────────────────────────────────────────────

  async map(input: MapInput, job: Job): Promise<GiMap> {
    const started = performance.now()
    const settings = settingsOf(input)
    const { genes, origin, skipped, vocab } = await this.resolveGenes(input.runId, input, 'map')
    this.requirePairs(vocab)
    const plan = pairPlan(genes, input.scope)
    if (plan.predicted.length === 0) {
      throw new AppError('design.no-pairs-in-scope', noPairsMessage(genes, input.scope, input.runId, plan.left))
    }
    if (plan.predicted.length > GI_DEFAULTS.confirmAbovePairs && !input.confirm) {
      const estimate = await this.estimateOf(input.runId, vocab, genes, plan, input.scope)
      throw confirmNeeded({ kind: 'map', estimate }, 'Send confirm: true to compute it.')
    }
    job.progress(0, `Predicting ${genes.length} singles`)
    // Everything is predicted on the fit's genes only (`columns`): a pair's fit is these less its own genes.
    const source = await this.deps.predictions.sourceOf(input.runId, PREDICT_OPTIONS)
    const base = fitGenes(source.controlMean, settings.expressionThreshold)
    requireFitGenes(base, source.genes.length, settings)
    const singles = await this.deps.predictions.predictMany(input.runId, genes.map((g) => [g.gene]), { ...PREDICT_OPTIONS, columns: base })
    job.throwIfCancelled()
    const observed = await this.observedSource(source)
    const scorer = new PairMapScorer({ runId: input.runId, genes, plan, scope: input.scope, maxUncertainty: input.maxUncertainty, settings, axis: source.genes, base, singles, observed })

    const list = plan.predicted
    const total = list.length
    const predict = (from: number, to: number) => this.deps.predictions.predictMany(input.runId, list.slice(from, to).map(([i, j]) => [genes[i].gene, genes[j].gene]), { ...PREDICT_OPTIONS, columns: base })
    const scored = () => `${done.toLocaleString('en')} of ${total.toLocaleString('en')} pairs scored`
    let done = 0
    let lastYield = performance.now()
    let waitMs = 0
    let scoreMs = 0
    for await (const { from, batch, waitedMs } of prefetched(total, this.chunk, predict)) {
      waitMs += waitedMs
      for (let r = 0; r < batch.sets.length; r++) {
        const scoring = performance.now()
        scorer.add(batch, r, from + r)
        scoreMs += performance.now() - scoring
        done++
        if (performance.now() - lastYield > 25) {
          await yieldNow()
          job.throwIfCancelled()
          job.progress(done / total, scored())
          lastYield = performance.now()
        }
      }
      job.throwIfCancelled()
      job.progress(done / total, scored())
    }
    const { pairs, singles: singleRows, maxUncertainty, excluded, warnings } = scorer.finish()
    const map: GiMap = {
      mapId: this.store.nextId(),
      name: input.name ?? null,
      runId: input.runId,
      model: source.model,
      datasetId: source.datasetId,
      datasetName: source.datasetName,
      origin,
      geneCount: genes.length,
      pairCount: pairs.length,
      scope: input.scope,
      seconds: Math.round((performance.now() - started) / 100) / 10,
      createdAt: new Date().toISOString(),
      source: slimSource(source),
      settings,
      geneList: genes,
      skipped,
      maxUncertainty,
      excluded,
      pairs,
      singles: singleRows,
      warnings,
      timing: { predictWaitSeconds: Math.round(waitMs / 100) / 10, scoreSeconds: Math.round(scoreMs / 100) / 10 },
    }
    this.store.save(map)
    job.progress(1, `${pairs.length.toLocaleString('en')} pairs scored`)
    return map
  }

  maps(runId?: number): GiMapSummary[] {
    return this.store.list(runId)
  }

  get(mapId: number): GiMap {
    return this.store.get(mapId)
  }

  delete(mapId: number): { deleted: number } {
    return this.store.delete(mapId)
  }

  /** Taken before a run, dataset or project is deleted; call it after to remove its maps' files. */
  mapFilesRemover(scope: MapOwner): () => void {
    return this.store.filesRemover(scope)
  }

  summary(map: GiMap): GiMapSummary {
    return summaryOf(map)
  }

  // ── observed GI scores ─────────────────────────────────────────────────────────────

  /** The dataset's condition means, aligned with a prediction's genes, to score measured pairs beside predicted ones. */
  private async observedSource(source: PredictionSource) {
    let ds: PreparedDataset
    try {
      ds = await this.deps.datasets.load(source.datasetId)
    } catch {
      return null
    }
    return observedScorer(ds, source.genes)
  }

  async observed(datasetId: number, input: SettingsInput): Promise<ObservedGi> {
    const settings = settingsOf(input)
    const summary = this.deps.datasets.require(datasetId).summary
    const ds = await this.deps.datasets.load(datasetId)
    const genes = ds.genes.symbol
    const scorer = observedScorer(ds, genes)
    const geneIndex = new Map(genes.map((g, i) => [g, i]))
    const base = fitGenes(ds.controlMean, settings.expressionThreshold)
    const pairs: ObservedGi['pairs'] = []
    const skipped: ObservedGi['skipped'] = []
    let lastYield = performance.now()
    for (const c of ds.conditions) {
      if (c.genes.length !== 2) continue
      const row = scoreMeasuredPair(scorer, base, geneIndex, c, settings)
      if ('skipped' in row) {
        skipped.push(row.skipped)
        continue
      }
      pairs.push(row.pair)
      if (performance.now() - lastYield > 25) {
        await yieldNow()
        lastYield = performance.now()
      }
    }
    return { datasetId, datasetName: summary.name, settings, pairs, skipped }
  }

  // ── target-phenotype search ────────────────────────────────────────────────────────

  async search(input: SearchInput, job: Job): Promise<SearchResult> {
    const started = performance.now()
    const signature = parseSignature(input.signature)
    const { genes, vocab } = await this.resolveGenes(input.runId, input, 'search')
    const sets = searchSets(genes.length, input.pairs && vocab.maxSetSize >= 2)
    const nPairs = sets.length - genes.length
    if (nPairs > GI_DEFAULTS.confirmAbovePairs && !input.confirm) {
      const cal = await this.calibrate(input.runId, vocab)
      const estimate: SearchEstimate = { runId: input.runId, genes: genes.length, pairs: nPairs, conditions: sets.length, seconds: Math.round((sets.length * cal.msPerCondition) / 1000) }
      throw confirmNeeded({ kind: 'search', estimate }, 'Send confirm: true to search them, or give fewer genes.')
    }
    job.progress(0, `Predicting ${sets.length.toLocaleString('en')} perturbations`)
    const source = await this.deps.predictions.sourceOf(input.runId, PREDICT_OPTIONS)
    const sig = signatureAxis(signature, source.genes, source.datasetName)
    const scorer = new TargetScorer(sig, source.genes, input.excludePerturbed, sets.length)
    const chunk = this.chunk
    const predict = (from: number, to: number) => this.deps.predictions.predictMany(input.runId, sets.slice(from, to).map((s) => s.map((i) => genes[i].gene)), { ...PREDICT_OPTIONS, columns: sig.columns })
    for await (const { from, batch } of prefetched(sets.length, chunk, predict)) {
      for (let r = 0; r < batch.sets.length; r++) scorer.add(batch, r)
      job.throwIfCancelled()
      job.progress(Math.min(1, (from + chunk) / sets.length), `${Math.min(sets.length, from + chunk).toLocaleString('en')} of ${sets.length.toLocaleString('en')} perturbations scored`)
      await yieldNow()
    }
    const ranked = scorer.ranked(input.rankBy, input.tieTolerance, input.top)
    return {
      runId: input.runId,
      source: slimSource(source),
      rankBy: input.rankBy,
      signatureGenes: sig.sigIdx.length,
      unmatched: sig.unmatched.slice(0, 50),
      unmatchedCount: sig.unmatched.length,
      candidates: sets.length,
      hits: ranked.hits,
      tieTolerance: input.tieTolerance,
      ties: ranked.ties,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    }
  }

  // ── guide plan ─────────────────────────────────────────────────────────────────────

  async plan(input: PlanInput): Promise<GuidePlan> {
    const map = input.mapId !== undefined ? this.store.get(input.mapId) : null
    if (map && map.runId !== input.runId) throw new AppError('design.map-run-mismatch', `Pair map ${map.mapId} was computed with run ${map.runId}, not run ${input.runId}.`)
    const settings = map?.settings ?? settingsOf(input)
    const items = planItems(input.items)
    // Every item and the singles of its pairs, predicted together (one request, same base).
    const all = await this.deps.predictions.predictMany(input.runId, [...items, ...planSingles(items).map((g) => [g])], PREDICT_OPTIONS)
    const dataset = await this.deps.datasets.load(all.source.datasetId).catch(() => null)
    return guidePlan({ runId: input.runId, topGenes: input.topGenes, items, all, settings, map, dataset })
  }
}

function repeated(values: string[]): string[] {
  const seen = new Set<string>()
  const dup = new Set<string>()
  for (const v of values) (seen.has(v) ? dup : seen).add(v)
  return [...dup]
}
