/**
 * Which genes a run can perturb, how it knows each one, and turning what the user typed into
 * gene sets it can predict — or a refusal that names the genes and what to type instead.
 *
 * A model predicts a gene of its perturbation vocabulary (GO-annotated genes ∪ the dataset's
 * perturbed genes) that it saw in training, or an unseen one with GO partners to place it by
 * (docs/ml-engine.md §1; the same rule as ml/predict's `unpredictableReason`). Baselines need no
 * knowledge: any vocabulary gene (unseen ones get the training mean).
 */
import { AppError, type GeneStatus, type GoPlacement, type PredictedGeneFlag } from '../../../src-shared/contract'
import { formatCondition } from '../../../src-shared/domain/conditions'
import type { Split, TrainingData } from '../../ml/engine-types'
import { incomingGraph } from '../../ml/layers/gcn-norm'
import { GeneResolver } from '../knowledge/gene-resolver'

export interface Vocabulary {
  /** vocabulary genes the run can predict, with their status */
  status: Map<string, GeneStatus>
  /** vocabulary genes it cannot place (unseen, no GO partner) */
  unplaceable: Set<string>
  /** upper-case symbol → symbols, for case-insensitive input */
  upper: Map<string, string[]>
  /** the largest gene set the run predicts (docs/ml-engine.md §11.4: any set up to MAX_SET_SIZE, pairs on a singles-only screen included) */
  maxSetSize: number
  /** the largest gene set the dataset measured: a larger one is flagged `no-pair-trained` */
  measuredSetSize: number
  closest(query: string): string[]
  /** for an unseen gene a model places by GO: how much of its embedding the run trained on (null otherwise) */
  placement(gene: string): GoPlacement | null
}

/** Whether the network can place a gene: seen in training, or with a GO partner to place it by (docs/ml-engine.md §1). */
export function placeableBy(data: TrainingData, split: Pick<Split, 'train'>): (gene: string) => boolean {
  const byName = new Map(data.conditions.map((c) => [c.condition, c]))
  const seen = new Set(split.train.flatMap((c) => byName.get(c)?.genes ?? []))
  const pert = data.knowledge.pertGenes
  const partners = new Set<string>()
  const go = data.knowledge.goEdges
  if (go) for (let e = 0; e < go.source.length; e++) if (go.source[e] !== go.target[e]) partners.add(pert[go.target[e]])
  return (gene) => seen.has(gene) || partners.has(gene)
}

/** The largest gene set predicted at once: models compose perturbations (GEARS sums their embeddings, the prior their changes). */
export const MAX_SET_SIZE = 8

export function buildVocabulary(data: TrainingData, split: Pick<Split, 'train'>, needsKnowledge: boolean): Vocabulary {
  const byName = new Map(data.conditions.map((c) => [c.condition, c]))
  const single = new Set<string>()
  const combo = new Set<string>()
  for (const name of split.train) {
    const genes = byName.get(name)?.genes ?? []
    for (const g of genes) (genes.length === 1 ? single : combo).add(g)
  }
  const pert = data.knowledge.pertGenes
  const partners = new Uint8Array(pert.length)
  const go = data.knowledge.goEdges
  if (go) for (let e = 0; e < go.source.length; e++) if (go.source[e] !== go.target[e]) partners[go.target[e]] = 1
  const status = new Map<string, GeneStatus>()
  const unplaceable = new Set<string>()
  const upper = new Map<string, string[]>()
  pert.forEach((g, i) => {
    const s: GeneStatus | null = single.has(g) ? 'seen-single' : combo.has(g) ? 'seen-combo' : !needsKnowledge || partners[i] ? 'unseen-in-knowledge' : null
    if (s) status.set(g, s)
    else unplaceable.add(g)
    const key = g.toUpperCase()
    const list = upper.get(key)
    if (list) list.push(g)
    else upper.set(key, [g])
  })
  let resolver: GeneResolver | undefined
  let placer: ((gene: string) => GoPlacement | null) | undefined
  return {
    status,
    unplaceable,
    upper,
    maxSetSize: MAX_SET_SIZE,
    measuredSetSize: Math.max(1, ...data.conditions.map((c) => c.genes.length)),
    closest: (q) => (resolver ??= new GeneResolver({ symbols: [...status.keys()], aliases: new Map(), ensembl: new Map() })).closest(q),
    placement: (g) => {
      if (!needsKnowledge || !go || status.get(g) !== 'unseen-in-knowledge') return null
      placer ??= goPlacer(pert, go, new Set([...single, ...combo]))
      return placer(g)
    },
  }
}

/**
 * The weights SGConv gives each gene's inputs (the model's own normalised GO graph, grouped by
 * target as the model reads it, self-loop included), split into the genes the run trained on
 * and the rest. The graph is built once; each call reads only the gene's incoming edges.
 */
export function goPlacer(pert: string[], go: NonNullable<TrainingData['knowledge']['goEdges']>, trained: Set<string>): (gene: string) => GoPlacement | null {
  const g = incomingGraph(pert.length, go.source, go.target, go.weight)
  const index = new Map(pert.map((name, i) => [name, i]))
  return (gene) => {
    const i = index.get(gene)
    if (i === undefined) return null
    let total = 0
    let partners = 0
    const anchors: { gene: string; weight: number }[] = []
    for (let e = g.ptr[i]; e < g.ptr[i + 1]; e++) {
      total += g.weight[e]
      const j = g.src[e]
      if (j === i) continue
      partners++
      if (trained.has(pert[j])) anchors.push({ gene: pert[j], weight: g.weight[e] })
    }
    if (partners === 0) return null
    anchors.sort((a, b) => b.weight - a.weight || a.gene.localeCompare(b.gene))
    const share = anchors.reduce((sum, a) => sum + a.weight, 0) / total
    return { share, anchors: anchors.slice(0, 5).map((a) => ({ gene: a.gene, weight: a.weight / total })) }
  }
}

/** Resolves an alias to its approved symbol (the knowledge release's), or null. */
export type AliasLookup = (query: string) => string | null

export interface ResolvedSet {
  genes: string[]
  condition: string
  flags: PredictedGeneFlag[]
}

/**
 * Gene sets as typed → canonical sets with flags. Exact symbols first, then the same ignoring
 * case, then the knowledge release's aliases (`TMEM173` → `STING1`). Every problem of every set is
 * collected, so one refusal names all the genes to fix.
 */
export function resolveSets(vocab: Vocabulary, sets: string[][], runLabel: string, alias: AliasLookup = () => null): ResolvedSet[] {
  const unknown = new Map<string, string[]>()
  const unplaceable = new Set<string>()
  const problems: { code: string; message: string }[] = []
  const out: ResolvedSet[] = []
  sets.forEach((typed, i) => {
    const where = sets.length > 1 ? `Gene set ${i + 1}` : 'The gene set'
    if (typed.length === 0) {
      problems.push({ code: 'predict.empty-set', message: `${where} is empty: name at least one gene, e.g. "STAT1" or "STAT1+IRF1" (ctrl alone is the control, nothing to predict).` })
      return
    }
    const genes: string[] = []
    for (const t of typed) {
      const g = resolveOne(vocab, t, alias)
      if (g === null) {
        if (!unknown.has(t)) unknown.set(t, vocab.closest(t))
      } else if (vocab.unplaceable.has(g)) unplaceable.add(g)
      else if (!genes.includes(g)) genes.push(g)
    }
    if (typed.length > vocab.maxSetSize) {
      problems.push({
        code: 'predict.too-many-genes',
        message: `${where} (${typed.join('+')}) has ${typed.length} genes; ${runLabel} predicts at most ${vocab.maxSetSize} genes at a time. Split the set into smaller ones.`,
      })
      return
    }
    const condition = formatCondition(genes)
    out.push({ genes: condition.split('+').filter((g) => g !== 'ctrl'), condition, flags: genes.map((g) => {
        const placedBy = vocab.placement(g)
        return { gene: g, status: vocab.status.get(g)!, ...(placedBy ? { placedBy } : {}) }
      }),
    })
  })
  if (unknown.size) {
    const named = [...unknown].map(([g, close]) => `${g} (${close.length ? `closest: ${close.join(', ')}` : 'no similar symbol'})`)
    problems.unshift({
      code: 'predict.unknown-gene',
      message: `Unknown gene${unknown.size > 1 ? 's' : ''}: ${named.join('; ')}. ${runLabel} predicts genes perturbed in its dataset or annotated in GO.`,
    })
  }
  if (unplaceable.size) {
    const list = [...unplaceable].sort()
    problems.push({
      code: 'predict.unplaceable-gene',
      message: `${runLabel} cannot predict ${list.join(', ')}: ${list.length > 1 ? 'they were' : 'it was'} not perturbed in training and ${list.length > 1 ? 'have' : 'has'} no GO partners in the knowledge base, so the model has nothing to predict ${list.length > 1 ? 'them' : 'it'} from.`,
    })
  }
  if (problems.length) throw new AppError(problems[0].code, problems.map((p) => p.message).join(' '))
  return out
}

function resolveOne(vocab: Vocabulary, typed: string, alias: AliasLookup): string | null {
  if (vocab.status.has(typed) || vocab.unplaceable.has(typed)) return typed
  const ci = vocab.upper.get(typed.toUpperCase())
  if (ci?.length === 1) return ci[0]
  const symbol = alias(typed)
  if (symbol !== null && (vocab.status.has(symbol) || vocab.unplaceable.has(symbol))) return symbol
  return null
}
