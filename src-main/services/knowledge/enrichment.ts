/**
 * Pathway overlay and over-representation analysis of a condition's changed genes.
 *
 * The change of a condition is observed (a measured condition: its mean minus the control mean,
 * log-normalised) or predicted (a saved prediction's `change`). Its changed genes — at most
 * `top` by |change|, each with |change| ≥ `minAbsChange`, up, down or both — are tested against
 * every Reactome pathway (its genes and its sub-pathways', as the pathway browser shows them):
 *
 *   N = measured genes listed by at least one pathway (the background; a screen that measured
 *       299 genes could only ever have found those),
 *   K = the pathway's measured genes, n = changed genes in the background, k = changed genes in
 *       the pathway, p = P(X ≥ k) for X ~ Hypergeometric(N, K, n) (scipy `hypergeom.sf(k − 1, N, K, n)`),
 *
 * over the pathways with K ≥ `minSize`, Benjamini–Hochberg adjusted over all of them.
 */
import hypergeometricCdf from '@stdlib/stats-base-dists-hypergeometric-cdf'
import {
  AppError,
  type ChangeSource,
  type ChangeSourceInput,
  type ChangeSources,
  type EnrichedPathway,
  type EnrichmentOptions,
  type EnrichmentResult,
  type PathwayOverlay,
  type PredictionListItem,
  type PredictResult,
  type RunListItem,
} from '../../../src-shared/contract'
import { canonicalCondition, conditionGenes, conditionLabel } from '../../../src-shared/domain/conditions'
import { benjaminiHochberg } from '../../../src-shared/domain/statistics'
import type { PreparedDataset } from '../datasets/prepared-dataset'
import type { KnowledgeBase } from './knowledge-base'

/** P(X ≥ k) for X ~ Hypergeometric(population N, K successes in it, n draws). */
export function hypergeometricUpperTail(k: number, N: number, K: number, n: number): number {
  if (k <= 0) return 1
  if (k > Math.min(n, K)) return 0
  // P(X ≥ k) = P(n − X ≤ n − k) with n − X ~ Hypergeometric(N, N − K, n): the small tail is summed
  // directly, so p-values far below 1e-16 keep their digits (1 − cdf would round them to 0).
  return Math.min(1, hypergeometricCdf(n - k, N, N - K, n))
}

export interface GeneSetTest {
  /** index into the sets given */
  set: number
  found: number
  measured: number
  p: number
  padj: number
  /** the found genes (background ids) */
  hits: number[]
}

/**
 * Over-representation of `changed` among `background` in each set: hypergeometric upper tail for
 * every set with at least `minSize` background genes, BH over those. Ids are any integers; sets may
 * list ids outside the background (they are ignored). Returns the tested sets in input order.
 */
export function testGeneSets(background: Iterable<number>, changed: Iterable<number>, sets: ArrayLike<number>[], minSize: number): GeneSetTest[] {
  const bg = new Set(background)
  const hit = new Set([...changed].filter((g) => bg.has(g)))
  const N = bg.size
  const n = hit.size
  const tests: GeneSetTest[] = []
  sets.forEach((genes, set) => {
    let measured = 0
    const hits: number[] = []
    const seen = new Set<number>()
    for (let i = 0; i < genes.length; i++) {
      const g = genes[i]
      if (!bg.has(g) || seen.has(g)) continue
      seen.add(g)
      measured++
      if (hit.has(g)) hits.push(g)
    }
    if (measured < minSize) return
    tests.push({ set, found: hits.length, measured, p: hypergeometricUpperTail(hits.length, N, measured, n), padj: NaN, hits })
  })
  const adjusted = benjaminiHochberg(tests.map((t) => t.p))
  tests.forEach((t, i) => (t.padj = adjusted[i]))
  return tests
}

/** The changed genes: |change| ≥ minAbsChange in the chosen direction, the `top` largest |change| first. */
export function changedGenes(change: ArrayLike<number>, options: Pick<EnrichmentOptions, 'direction' | 'top' | 'minAbsChange'>): number[] {
  const out: number[] = []
  for (let g = 0; g < change.length; g++) {
    const c = change[g]
    if (!Number.isFinite(c) || Math.abs(c) < options.minAbsChange || c === 0) continue
    if (options.direction === 'up' && c <= 0) continue
    if (options.direction === 'down' && c >= 0) continue
    out.push(g)
  }
  out.sort((a, b) => Math.abs(change[b]) - Math.abs(change[a]) || a - b)
  return out.slice(0, options.top)
}

export interface EnrichmentServiceDeps {
  datasets: { load(id: number): Promise<PreparedDataset>; require(id: number): { summary: { name: string } } }
  predictions: { get(id: number): PredictResult; list(runId: number, limit: number): PredictionListItem[] }
  runs: { list(filter: { datasetId: number; includeBaselines?: boolean }): RunListItem[] }
  knowledgeBase(release?: string): Promise<KnowledgeBase>
}

interface Changes {
  source: ChangeSource
  /** the dataset's measured genes, in dataset order */
  genes: string[]
  change: ArrayLike<number>
}

/** Pathway overlay and enrichment for observed and predicted changes. */
export class EnrichmentService {
  constructor(private readonly deps: EnrichmentServiceDeps) {}

  /** The measured conditions and saved predictions of a dataset. */
  async sources(datasetId: number): Promise<ChangeSources> {
    this.deps.datasets.require(datasetId)
    const ds = await this.deps.datasets.load(datasetId)
    const measured = ds.conditions.filter((c) => c.genes.length > 0).map((c) => ({ condition: c.condition, cells: c.cells }))
    measured.sort((a, b) => b.cells - a.cells || (a.condition < b.condition ? -1 : 1))
    return { datasetId, measured, predictions: this.savedPredictions(datasetId) }
  }

  private savedPredictions(datasetId: number): ChangeSources['predictions'] {
    const out: ChangeSources['predictions'] = []
    for (const run of this.deps.runs.list({ datasetId, includeBaselines: true })) {
      if (run.status !== 'completed') continue
      const runLabel = `${run.name ?? run.model} (run ${run.id})`
      for (const p of this.deps.predictions.list(run.id, 500)) {
        out.push({ predictionId: p.id, runId: run.id, runLabel, condition: p.condition, measured: p.measured, createdAt: p.createdAt })
      }
    }
    return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.predictionId - a.predictionId))
  }

  /** Per measured gene: the source's change. */
  async changes(input: ChangeSourceInput): Promise<Changes> {
    if ('predictionId' in input) {
      const r = this.deps.predictions.get(input.predictionId)
      const c = r.conditions[0]
      const runLabel = `${r.runName ?? r.model} (run ${r.runId})`
      return {
        source: {
          kind: 'prediction',
          predictionId: input.predictionId,
          runId: r.runId,
          runLabel,
          datasetId: r.datasetId,
          datasetName: r.datasetName,
          condition: c.condition,
          label: `predicted by ${runLabel} for ${conditionLabel(c.condition)}`,
          knowledgeRelease: r.knowledgeRelease,
        },
        genes: r.genes,
        change: c.change,
      }
    }
    const { datasetId } = input
    const name = this.deps.datasets.require(datasetId).summary.name
    const ds = await this.deps.datasets.load(datasetId)
    let wanted = input.condition.trim()
    try {
      wanted = canonicalCondition(wanted)
    } catch {
      // not a condition: reported below as unknown
    }
    const index = ds.conditions.findIndex((c) => c.condition === wanted)
    if (index <= 0 || ds.conditions[index].genes.length === 0) {
      const examples = ds.conditions.filter((c) => c.genes.length > 0).slice(0, 3).map((c) => c.condition)
      throw new AppError('dataset.unknown-condition', `Dataset ${datasetId} has no perturbed condition "${input.condition}". Its conditions look like ${examples.join(', ')}.`)
    }
    const G = ds.genes.symbol.length
    const change = new Float64Array(G)
    for (let g = 0; g < G; g++) change[g] = ds.conditionMeans[index * G + g] - ds.controlMean[g]
    return {
      source: {
        kind: 'measured',
        predictionId: null,
        runId: null,
        runLabel: null,
        datasetId,
        datasetName: name,
        condition: wanted,
        label: `observed in ${name} for ${conditionLabel(wanted)} (${ds.conditions[index].cells} cells vs ${ds.conditions[0].cells} control cells)`,
        knowledgeRelease: null,
      },
      genes: ds.genes.symbol,
      change,
    }
  }

  /** The knowledge gene index of each measured gene (−1 when the release does not know it). */
  private resolve(kb: KnowledgeBase, genes: string[]): Int32Array {
    return kb.resolveGenes(genes).geneIndices
  }

  private async base(release: string | undefined, source: ChangeSource): Promise<KnowledgeBase> {
    return this.deps.knowledgeBase(release ?? source.knowledgeRelease ?? undefined)
  }

  async overlay(input: { release?: string; id: string; source: ChangeSourceInput }): Promise<PathwayOverlay> {
    const ch = await this.changes(input.source)
    const kb = await this.base(input.release, ch.source)
    const detail = kb.pathway(input.id)
    const indices = this.resolve(kb, ch.genes)
    const bySymbol = new Map<string, number>()
    indices.forEach((k, g) => {
      if (k >= 0 && !bySymbol.has(kb.symbolOf(k))) bySymbol.set(kb.symbolOf(k), g)
    })
    // The scale spans the other genes' changes: a perturbed gene's own knock-down would otherwise
    // set it and leave every other gene pale (it shows in the end colour).
    const targets = new Set(conditionGenes(ch.source.condition))
    let maxAbs = 0.05
    let maxAbsTargets = 0.05
    let measured = 0
    const genes = detail.allGenes.map((gene) => {
      const g = bySymbol.get(gene)
      if (g === undefined) return { gene, change: null }
      const change = Number(ch.change[g])
      measured++
      if (Number.isFinite(change)) {
        if (targets.has(gene) || targets.has(ch.genes[g])) maxAbsTargets = Math.max(maxAbsTargets, Math.abs(change))
        else maxAbs = Math.max(maxAbs, Math.abs(change))
      }
      return ch.genes[g] === gene ? { gene, change } : { gene, change, datasetName: ch.genes[g] }
    })
    const others = genes.some((x) => x.change !== null && !targets.has(x.gene))
    return { source: ch.source, release: kb.release, pathwayId: detail.id, genes, measured, maxAbs: others ? maxAbs : maxAbsTargets }
  }

  async enrich(input: { release?: string; source: ChangeSourceInput; options: EnrichmentOptions }): Promise<EnrichmentResult> {
    const { options } = input
    const ch = await this.changes(input.source)
    const kb = await this.base(input.release, ch.source)
    const indices = this.resolve(kb, ch.genes)
    const sets = kb.pathwayGeneSets()
    // The background: measured genes some pathway lists (by knowledge index, so two dataset
    // names of one gene count once).
    const listed = new Set<number>()
    for (const s of sets) for (const g of s.genes) listed.add(g)
    const background = new Set<number>()
    indices.forEach((k) => k >= 0 && listed.has(k) && background.add(k))
    const changed = changedGenes(ch.change, options)
    const changedKb = changed.map((g) => indices[g]).filter((k) => k >= 0 && background.has(k))
    const tests = testGeneSets(background, changedKb, sets.map((s) => s.genes), options.minSize)
    // Found genes listed as the dataset names them, largest |change| first.
    const rank = new Map<number, number>()
    changed.forEach((g, i) => indices[g] >= 0 && !rank.has(indices[g]) && rank.set(indices[g], i))
    const nameOf = new Map<number, string>()
    changed.forEach((g) => indices[g] >= 0 && !nameOf.has(indices[g]) && nameOf.set(indices[g], ch.genes[g]))
    const pathways: EnrichedPathway[] = tests
      .filter((t) => t.found > 0)
      .map((t) => {
        const s = sets[t.set]
        return {
          id: s.id,
          name: s.name,
          depth: s.depth,
          found: t.found,
          measured: t.measured,
          size: s.genes.length,
          expected: (changedKb.length * t.measured) / background.size,
          p: t.p,
          padj: t.padj,
          genes: t.hits.sort((a, b) => rank.get(a)! - rank.get(b)!).map((k) => nameOf.get(k)!),
        }
      })
      .sort((a, b) => a.p - b.p || b.found - a.found || (a.name < b.name ? -1 : 1))
    return {
      source: ch.source,
      release: kb.release,
      options,
      measuredGenes: ch.genes.length,
      background: background.size,
      changed: changed.map((g) => ({ gene: ch.genes[g], change: Number(ch.change[g]), inPathways: indices[g] >= 0 && background.has(indices[g]) })),
      changedInBackground: new Set(changedKb).size,
      tested: tests.length,
      pathways,
    }
  }
}
