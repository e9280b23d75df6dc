/**
 * Experiment design: GI pair maps of a gene set from a run's predictions, GI scores of the
 * pairs a dataset measured, the target-phenotype search and the guide plan (model.md §9).
 *
 * Where the work runs: predictions in the prediction worker (batched through predictMany, a
 * chunk of conditions per request, on the genes the scores read: `columns`), GI scores here, chunk by chunk while the worker predicts the
 * next chunk; the main thread yields between pairs so the app stays responsive, and the job is
 * cancelled between pairs. Nothing is stored until the map is complete.
 */
import {
  AppError,
  PREDICT_DEFAULTS,
  type DatasetSummary,
  type GeneGuides,
  type GeneStatus,
  type GiMap,
  type GiMapSummary,
  type GiScores,
  type GiSettings,
  type GiThresholds,
  type GoPlacement,
  type GuidePlan,
  type GuidePlanRow,
  type MapEstimate,
  type MapScope,
  type ObservedGi,
  type PairGene,
  type PairGi,
  type PredictGenes,
  type PredictionSource,
  type SearchHit,
  type SearchResult,
  type SearchTie,
} from '../../../src-shared/contract'
import { formatCondition } from '../../../src-shared/domain/conditions'
import { isWeaklyPlaced, scopeLeavesOut, WEAK_PLACEMENT_SHARE } from '../../../src-shared/domain/gene-placement'
import { callGi } from '../../../src-shared/domain/gi-call'
import { GI_DEFAULTS, giThresholds } from '../../../src-shared/domain/gi-thresholds'
import { fitGenes, gather, giScores } from '../../ml/gi/gi-scores'
import { pearson, topByMagnitude } from '../../../src-shared/domain/statistics'
import type { PreparedDataset } from '../datasets/prepared-dataset'
import type { Job } from '../jobs'
import type { KnowledgeBase } from '../knowledge/knowledge-base'
import type { BatchPrediction } from '../predictions/prediction-service'
import { MapStore, summaryOf } from './map-store'
import type { DesignMapsRepo, MapOwner } from '../../db/design-maps-repo'
import { parseSignature, type SignatureInput } from './signature'
import { rankWithTies, samePrediction, topGroups } from './ties'
import { guidesOf } from './guide-knockdown'
import { listSome } from '../../list-some'
import { pct } from '../../../src-shared/exports/numbers'

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

export interface SettingsInput {
  thresholds?: Partial<GiThresholds>
  expressionThreshold?: number
}

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
const SEEN = (s: GeneStatus) => s !== 'unseen-in-knowledge'
/** seven significant digits: far beyond what the fit resolves, a third of the JSON */
const r7 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(7)) : x)

export function settingsOf(input: SettingsInput): GiSettings {
  return {
    thresholds: giThresholds(input.thresholds),
    expressionThreshold: input.expressionThreshold ?? GI_DEFAULTS.expressionThreshold,
    maxSubsamples: GI_DEFAULTS.maxSubsamples,
    seed: GI_DEFAULTS.seed,
  }
}

function rounded(s: GiScores): GiScores {
  const out = { ...s }
  for (const k of Object.keys(out) as (keyof GiScores)[]) out[k] = r7(out[k])
  return out
}

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve))

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`
  return `${(seconds / 3600).toFixed(1)} h`
}

/** Scores of one pair on the fit genes, or why there are none. */
function scorePair(a: Float64Array, b: Float64Array, ab: Float64Array, settings: GiSettings): { scores: GiScores | null; note?: string } {
  if (a.length < 3) return { scores: null, note: `only ${a.length} genes have a control mean above ${settings.expressionThreshold}; lower the expression threshold` }
  const s = giScores(a, b, ab, settings)
  if (!Number.isFinite(s.mag)) return { scores: null, note: 'the singles predict no change on the fitted genes, so there is nothing to fit' }
  return { scores: rounded(s) }
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
    const needsConfirmation = plan.predicted.length > GI_DEFAULTS.confirmAbovePairs
    return {
      runId,
      genes: genes.length,
      pairs: plan.predicted.length,
      conditions,
      seconds: Math.round(seconds),
      needsConfirmation,
      message: `${genes.length} genes: ${plan.predicted.length.toLocaleString('en')} pairs${plan.left ? ` (${plan.left.toLocaleString('en')} ${scopeLeavesOut(scope)} left out)` : ''} and ${genes.length} singles to predict, about ${duration(seconds)} on this machine.${needsConfirmation ? ' Confirm to go ahead.' : ''}`,
    }
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
    // Every run predicts pairs (model.md §11.4), also from a screen of singles: the map flags them.
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
      const est = await this.estimateOf(input.runId, vocab, genes, plan, input.scope)
      throw new AppError('design.confirm-needed', `${est.message} Send confirm: true (CLI: --yes) to compute it.`)
    }
    job.progress(0, `Predicting ${genes.length} singles`)
    // Everything is predicted on the fit's genes only (`columns`): a pair's fit is these less its own genes.
    const source = await this.deps.predictions.sourceOf(input.runId, PREDICT_OPTIONS)
    const G = source.genes.length
    const geneIndex = new Map(source.genes.map((g, i) => [g, i]))
    const base = fitGenes(source.controlMean, settings.expressionThreshold)
    // A fit needs 3 genes once the pair's own two are left out.
    if (base.length < 5) {
      throw new AppError('design.too-few-fit-genes', `Only ${base.length} of the dataset's ${G.toLocaleString('en')} genes have a control mean above the expression threshold ${settings.expressionThreshold}, too few to fit a pair's interaction; lower the expression threshold (the default is ${GI_DEFAULTS.expressionThreshold}).`)
    }
    const singles = await this.deps.predictions.predictMany(input.runId, genes.map((g) => [g.gene]), { ...PREDICT_OPTIONS, columns: base })
    job.throwIfCancelled()
    const fitFor = (names: string[]) => {
      const own = new Set(names.map((n) => geneIndex.get(n)).filter((i): i is number => i !== undefined))
      return own.size ? base.filter((g) => !own.has(g)) : base
    }
    const column = positionsOf(base)
    const columnsOf = (idx: Int32Array) => idx.map((g) => column.get(g)!)
    const R = base.length
    const observed = await this.observedSource(source)
    const warnings: string[] = []
    const weak = input.scope === 'both' ? [] : genes.filter(isWeaklyPlaced).map((g) => g.gene)
    if (weak.length) {
      const cannotPlace = `${weak.length} of the map's genes the run never saw perturbed (${listSome(weak, 8)}) take less than ${pct(WEAK_PLACEMENT_SHARE)} of their GO embedding from genes it trained on: the run predicts them much as any gene it cannot place`
      warnings.push(
        input.scope === 'placed'
          ? `${cannotPlace}, so their pairs were left out. To map them anyway, choose pairs with at least one seen gene (scope seen, CLI --scope seen).`
          : `${cannotPlace}, so their pairs' scores say little about them.`,
      )
    }
    const hasSd = singles.variance !== null
    if (input.scope === 'all' && !hasSd) warnings.push(`Run ${input.runId} has no uncertainty head, so pairs with no seen gene are kept unfiltered; train with the uncertainty head to filter them.`)

    const pairs: PairGi[] = []
    const seenUncertainty: number[] = []
    const unseenUncertainty: number[] = []
    let cut: number | null = input.scope === 'all' && hasSd && typeof input.maxUncertainty === 'number' ? input.maxUncertainty : null
    let excluded = plan.left
    const chunk = this.chunk
    const list = plan.predicted
    const total = list.length
    let done = 0
    const predict = (from: number) => this.deps.predictions.predictMany(input.runId, list.slice(from, from + chunk).map(([i, j]) => [genes[i].gene, genes[j].gene]), { ...PREDICT_OPTIONS, columns: base })
    let next: Promise<BatchPrediction> | null = total ? predict(0) : null
    let lastYield = performance.now()
    let waitMs = 0
    let scoreMs = 0
    for (let from = 0; from < total; from += chunk) {
      const waited = performance.now()
      const batch = await next!
      waitMs += performance.now() - waited
      // The worker predicts the next chunk while this one is scored.
      next = from + chunk < total ? predict(from + chunk) : null
      next?.catch(() => undefined)
      for (let r = 0; r < batch.sets.length; r++) {
        const [i, j] = list[from + r]
        const A = genes[i]
        const B = genes[j]
        const seen = Number(SEEN(A.status)) + Number(SEEN(B.status))
        const idx = fitFor([A.gene, B.gene])
        const at = columnsOf(idx)
        const uncertainty = batch.variance ? r7(meanSd(batch.variance, at, r, R)) : null
        if (seen === 0 && input.scope === 'all' && hasSd) {
          unseenUncertainty.push(uncertainty!)
          if (cut === null) cut = median(seenUncertainty) ?? Infinity
          if (uncertainty! > cut) {
            excluded++
            done++
            continue
          }
        } else if (uncertainty !== null) seenUncertainty.push(uncertainty)
        const scoring = performance.now()
        const fit = scorePair(gather(singles.modelChange, at, i, R), gather(singles.modelChange, at, j, R), gather(batch.modelChange, at, r, R), settings)
        const condition = formatCondition([A.gene, B.gene])
        const obs = observed?.pair(condition, idx, settings) ?? null
        scoreMs += performance.now() - scoring
        pairs.push({
          condition,
          genes: A.gene < B.gene ? [A, B] : [B, A],
          seen,
          scores: fit.scores,
          call: fit.scores ? callGi(fit.scores, settings.thresholds) : null,
          uncertainty,
          observed: obs,
          ...(fit.note ? { note: fit.note } : {}),
        })
        done++
        if (performance.now() - lastYield > 25) {
          await yieldNow()
          job.throwIfCancelled()
          job.progress(done / total, `${done.toLocaleString('en')} of ${total.toLocaleString('en')} pairs scored`)
          lastYield = performance.now()
        }
      }
      job.throwIfCancelled()
      job.progress(done / total, `${done.toLocaleString('en')} of ${total.toLocaleString('en')} pairs scored`)
    }
    const blind = uncertaintyBlindToUnseen(seenUncertainty, unseenUncertainty)
    if (blind) {
      warnings.push(
        `The uncertainty head rates the ${unseenUncertainty.length.toLocaleString('en')} pairs with no seen gene no less certain than the others (median SD ${blind.unseen.toFixed(3)} against ${blind.seen.toFixed(3)}): it measures the spread of cells, not what the run never saw, so the cut kept those pairs by chance rather than because they are better known. Read them with care, or map pairs with a seen gene only.`,
      )
    }
    const singleRows = genes.map((g, i) => ({
      gene: g.gene,
      status: g.status,
      uncertainty: singles.variance ? r7(meanSd(singles.variance, columnsOf(fitFor([g.gene])), i, R)) : null,
      measured: observed?.has(formatCondition([g.gene])) ?? false,
    }))
    const summary: Omit<GiMap, 'mapId'> = {
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
      maxUncertainty: input.scope === 'all' && hasSd ? r7(cut ?? median(seenUncertainty) ?? NaN) : null,
      excluded,
      pairs,
      singles: singleRows,
      warnings,
      timing: { predictWaitSeconds: Math.round(waitMs / 100) / 10, scoreSeconds: Math.round(scoreMs / 100) / 10 },
    }
    const map: GiMap = { mapId: this.store.nextId(), ...summary }
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
      const missing = c.genes.filter((g) => !scorer.has(formatCondition([g])))
      if (missing.length) {
        skipped.push({ condition: c.condition, reason: `${missing.join(' and ')} ${missing.length > 1 ? 'were' : 'was'} not measured alone` })
        continue
      }
      const own = new Set(c.genes.map((g) => geneIndex.get(g)).filter((i): i is number => i !== undefined))
      const idx = own.size ? base.filter((g) => !own.has(g)) : base
      const obs = scorer.pair(c.condition, idx, settings)!
      pairs.push({ condition: c.condition, genes: [c.genes[0], c.genes[1]], scores: obs.scores, call: obs.call, cells: c.cells, ...(obs.scores ? {} : { note: obs.note }) })
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
    const withPairs = input.pairs && vocab.maxSetSize >= 2
    const sets: number[][] = genes.map((_, i) => [i])
    if (withPairs) for (let i = 0; i < genes.length; i++) for (let j = i + 1; j < genes.length; j++) sets.push([i, j])
    const nPairs = sets.length - genes.length
    if (nPairs > GI_DEFAULTS.confirmAbovePairs && !input.confirm) {
      const cal = await this.calibrate(input.runId, vocab)
      const seconds = (sets.length * cal.msPerCondition) / 1000
      throw new AppError('design.confirm-needed', `${genes.length} genes: ${sets.length.toLocaleString('en')} perturbations (${nPairs.toLocaleString('en')} pairs) to predict, about ${duration(seconds)} on this machine. Send confirm: true (CLI: --yes) to search them, or give fewer genes.`)
    }
    job.progress(0, `Predicting ${sets.length.toLocaleString('en')} perturbations`)
    // The signature on the measured genes.
    const source = await this.deps.predictions.sourceOf(input.runId, PREDICT_OPTIONS)
    const axis = new Map(source.genes.map((g, i) => [g.toUpperCase(), i]))
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
        `None of the ${signature.genes.length} signature genes (${listSome(signature.genes, 5)}) is measured in dataset ${source.datasetName}; the search scores perturbations on the signature genes the dataset measures. Check the symbols (same naming as the dataset's genes).`,
      )
    }
    // Predicted on the signature's genes only (`columns`, distinct), read back by position.
    const columns = Int32Array.from(new Set(sigIdx)).sort()
    const position = positionsOf(columns)
    const sigAt = sigIdx.map((g) => position.get(g)!)
    const hits: Omit<SearchHit, 'rank' | 'tie'>[] = []
    // Each candidate's predicted change on the signature genes, to tell identical predictions from merely close scores.
    const keepVectors = sets.length * sigIdx.length <= 8_000_000
    const vectors: Float32Array[] = []
    const owns: Set<number>[] = []
    const chunk = this.chunk
    const predict = (from: number) => this.deps.predictions.predictMany(input.runId, sets.slice(from, from + chunk).map((s) => s.map((i) => genes[i].gene)), { ...PREDICT_OPTIONS, columns })
    let next: Promise<BatchPrediction> | null = predict(0)
    for (let from = 0; from < sets.length; from += chunk) {
      const batch = await next!
      next = from + chunk < sets.length ? predict(from + chunk) : null
      next?.catch(() => undefined)
      for (let r = 0; r < batch.sets.length; r++) {
        const own = new Set(input.excludePerturbed ? batch.sets[r].genes.map((g) => axis.get(g.toUpperCase())).filter((i): i is number => i !== undefined) : [])
        const hit = scoreAgainst(batch, r, columns.length, sigIdx, sigAt, sigVal, own, source.genes)
        hits.push({ condition: batch.sets[r].condition, genes: batch.sets[r].flags, ...hit })
        if (keepVectors) {
          vectors.push(Float32Array.from(sigAt, (a) => batch.modelChange[r * columns.length + a]))
          owns.push(own)
        }
      }
      job.throwIfCancelled()
      job.progress(Math.min(1, (from + chunk) / sets.length), `${Math.min(sets.length, from + chunk).toLocaleString('en')} of ${sets.length.toLocaleString('en')} perturbations scored`)
      await yieldNow()
    }
    const ranked = rankedHits(hits, input.rankBy, input.tieTolerance, input.top, keepVectors ? (i, j) => samePrediction(vectors[i], vectors[j], (k) => owns[i].has(sigIdx[k]) || owns[j].has(sigIdx[k])) : null)
    return {
      runId: input.runId,
      source: slimSource(source),
      rankBy: input.rankBy,
      signatureGenes: sigIdx.length,
      unmatched: unmatched.slice(0, 50),
      unmatchedCount: unmatched.length,
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
    const items = input.items.map((t) => t.split(/[+,\s]+/).filter((g) => g && g.toLowerCase() !== 'ctrl'))
    const empty = input.items.filter((_, i) => items[i].length === 0)
    if (empty.length) throw new AppError('design.bad-item', `"${empty[0]}" names no gene; shortlist perturbations like "A" or "A+B".`)
    const tooBig = input.items.filter((_, i) => items[i].length > 2)
    if (tooBig.length) throw new AppError('design.bad-item', `${tooBig.join(', ')}: a guide plan holds single genes and pairs.`)
    // Every item and the singles of its pairs, predicted together (one request, same base).
    const singlesNeeded = [...new Set(items.flat())]
    const all = await this.deps.predictions.predictMany(input.runId, [...items, ...singlesNeeded.map((g) => [g])], PREDICT_OPTIONS)
    const G = all.source.genes.length
    const singleRow = new Map(all.sets.slice(items.length).map((s, k) => [s.genes[0], items.length + k]))
    const geneIndex = new Map(all.source.genes.map((g, i) => [g, i]))
    const base = fitGenes(all.source.controlMean, settings.expressionThreshold)
    const ds = await this.deps.datasets.load(all.source.datasetId).catch(() => null)
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
      const own = new Set(set.genes.map((g) => geneIndex.get(g)).filter((i): i is number => i !== undefined))
      const idx = own.size ? base.filter((g) => !own.has(g)) : base
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
        topChanges: topByMagnitude(change, input.topGenes).map((g) => ({ gene: all.source.genes[g], change: r7(change[g]) })),
        measured: observed?.has(set.condition) ?? false,
      })
    }
    return { runId: input.runId, mapId: map?.mapId ?? null, source: slimSource(all.source), settings, guideSource: guides.source, rows }
  }
}

// ── helpers ──────────────────────────────────────────────────────────────────────────

function repeated(values: string[]): string[] {
  const seen = new Set<string>()
  const dup = new Set<string>()
  for (const v of values) (seen.has(v) ? dup : seen).add(v)
  return [...dup]
}

function median(values: number[]): number | null {
  if (values.length === 0) return null
  const v = [...values].sort((a, b) => a - b)
  const n = v.length
  return n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
}

/** Why a map has no pair to predict under its scope, and which scope would give some. */
function noPairsMessage(genes: PairGene[], scope: MapScope, runId: number, left: number): string {
  const list = listSome(genes.map((g) => g.gene), 12)
  if (scope === 'both') return `None of the ${left} pairs of ${list} has two genes run ${runId} saw in training; choose pairs with at least one seen gene (scope placed, the default) or all pairs (scope all, CLI --scope all).`
  if (scope === 'placed' && genes.some((g) => SEEN(g.status))) {
    const weak = genes.filter(isWeaklyPlaced).map((g) => g.gene)
    return `Every pair of ${list} has a gene run ${runId} saw in training but pairs it with a gene it cannot place by GO (${listSome(weak, 8)}: less than ${pct(WEAK_PLACEMENT_SHARE)} of its GO embedding from genes it trained on); choose pairs with at least one seen gene (scope seen, CLI --scope seen) to map them anyway.`
  }
  return `None of the ${left} pairs of ${list} has a gene run ${runId} saw in training; choose all pairs (scope all, CLI --scope all) to keep them under the uncertainty cut.`
}

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

/**
 * Whether the uncertainty head fails to tell pairs with no seen gene from the others: their median
 * SD is less than 5 % above that of pairs with a seen gene (a head that knew what the run never saw
 * would rate them clearly less certain). Measured on norman-like run 12: medians 1.651 (no seen
 * gene), 1.644 (one), 1.638 (two). Null when it does tell them apart or there are too few pairs.
 */
export function uncertaintyBlindToUnseen(seenSd: number[], unseenSd: number[]): { seen: number; unseen: number } | null {
  if (seenSd.length < 3 || unseenSd.length < 3) return null
  const seen = median(seenSd)!
  const unseen = median(unseenSd)!
  return unseen < 1.05 * seen ? { seen, unseen } : null
}

function meanSd(variance: Float32Array, idx: Int32Array, row: number, G: number): number {
  if (idx.length === 0) return NaN
  let s = 0
  for (let k = 0; k < idx.length; k++) s += Math.sqrt(Math.max(0, variance[row * G + idx[k]]))
  return s / idx.length
}

/** The source without the per-gene arrays (the map keeps its own gene list). */
function slimSource(s: PredictionSource): PredictionSource {
  return { ...s, genes: [], controlMean: [] }
}

/** Observed changes over control of measured conditions, on a given gene axis. */
export function observedScorer(ds: PreparedDataset, axis: string[]) {
  const G = ds.genes.symbol.length
  const pos = new Map(ds.genes.symbol.map((g, i) => [g, i]))
  const map = Int32Array.from(axis, (g) => pos.get(g) ?? -1)
  const rows = new Map(ds.conditions.map((c, i) => [c.condition, i]))
  const change = (row: number, idx: Int32Array) => {
    const out = new Float64Array(idx.length)
    for (let k = 0; k < idx.length; k++) {
      const g = map[idx[k]]
      out[k] = g < 0 ? 0 : ds.conditionMeans[row * G + g] - ds.controlMean[g]
    }
    return out
  }
  return {
    has: (condition: string) => rows.has(condition),
    /** null when the dataset did not measure the pair and both its singles */
    pair(condition: string, idx: Int32Array, settings: GiSettings): { scores: GiScores | null; call: PairGi['call']; note?: string } | null {
      const ab = rows.get(condition)
      const genes = condition.split('+')
      const a = rows.get(formatCondition([genes[0]]))
      const b = rows.get(formatCondition([genes[1]]))
      if (ab === undefined || a === undefined || b === undefined) return null
      const fit = scorePair(change(a, idx), change(b, idx), change(ab, idx), settings)
      return { scores: fit.scores, call: fit.scores ? callGi(fit.scores, settings.thresholds) : null, ...(fit.note ? { note: fit.note } : {}) }
    },
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

/** Gene index → its position among `columns` (how a prediction asked for those columns is read back). */
function positionsOf(columns: Int32Array): Map<number, number> {
  return new Map(Array.from(columns, (g, k) => [g, k]))
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
