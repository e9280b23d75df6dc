import { AppError } from '../../src-shared/contract'
import { pairTypeCounts, type SyntheticParams } from './presets'
import { Rng } from '../ml/random'
import type { InteractionType, SyntheticKnowledge } from './types'

/**
 * The screen's design: which genes are measured, which are perturbed (alone and in pairs) and
 * each pair's declared interaction type. Perturbed genes come in small groups from the same
 * Reactome pathway, so an unseen gene usually has seen pathway-mates: that is what lets prior
 * knowledge help. A few perturbed genes are in no pathway (some also without GO terms).
 */

export interface DesignPair {
  a: string
  b: string
  type: InteractionType
  samePathway: boolean
}

export interface Design {
  /** measured genes, sorted */
  genes: string[]
  geneIndex: Map<string, number>
  singles: string[]
  pairOnly: string[]
  withoutPathway: string[]
  withoutKnowledge: string[]
  pairs: DesignPair[]
  /** L1 pathways restricted to measured genes (≥ 2 members), as gene indices */
  pathways: { id: string; members: Int32Array }[]
  /** per measured gene: its primary pathway (most specific L1 pathway of ≥ 3 genes) in `pathways`, or −1 */
  primaryPathway: Int32Array
  /** per measured gene: its GO terms as sorted term indices (empty when unannotated) */
  goSets: Int32Array[]
  /** measured genes annotated as DNA-binding transcription factors (candidate master regulators) */
  transcriptionFactors: Int32Array
}

// GO "DNA-binding transcription factor activity" and its RNA polymerase II children
const TF_TERMS = new Set(['GO:0003700', 'GO:0000981', 'GO:0001228', 'GO:0001227'])

export function makeDesign(knowledge: SyntheticKnowledge, params: SyntheticParams, seed: number): Design {
  const rng = Rng.derive(seed, 'design')
  const universe = [...new Set(knowledge.genes)]
  const inUniverse = new Set(universe)
  const hasGo = (g: string) => (knowledge.goTerms.get(g)?.length ?? 0) > 0
  const sets = knowledge.pathways
    .map((p) => ({ id: p.id, genes: [...new Set(p.genes)].filter((g) => inUniverse.has(g)) }))
    .filter((p) => p.genes.length > 0)
  const anyPathway = new Set<string>()
  for (const p of sets) for (const g of p.genes) anyPathway.add(g)
  if (knowledge.inAnyPathway) for (const g of knowledge.inAnyPathway) if (inUniverse.has(g)) anyPathway.add(g)

  const nPathwayPerturbed = params.nSingles - params.nSinglesWithoutPathway + params.nPairOnlyGenes
  const [minSize, maxSize] = params.modulePathwaySize
  // a gene's primary pathway: its most specific L1 pathway (fewest genes, ≥ 3), where it acts most
  const primaryOf = new Map<string, number>()
  sets.forEach((p, i) => {
    if (p.genes.length < 3) return
    for (const g of p.genes) {
      const cur = primaryOf.get(g)
      if (cur === undefined || sets[cur].genes.length > p.genes.length) primaryOf.set(g, i)
    }
  })
  // perturbed genes come in groups that share their primary pathway
  const modules = rng.shuffle(
    sets
      .map((p, i) => ({ ...p, index: i }))
      .filter((p) => p.genes.length >= minSize && p.genes.length <= maxSize && p.genes.filter((g) => hasGo(g) && primaryOf.get(g) === p.index).length >= 2),
  )
  if (universe.length < params.nGenes) {
    throw new AppError('synthetic.too-little-knowledge', `The knowledge lists ${universe.length} genes; the preset needs ${params.nGenes}. Use the full Reactome and NCBI files.`)
  }

  // ── perturbed genes with pathways, a few per pathway ──
  const perturbed: string[] = []
  const perturbedSet = new Set<string>()
  const measured = new Set<string>()
  const pathwayBudget = Math.round(params.pathwayGeneShare * params.nGenes)
  const usedModules: string[][] = []
  for (const m of modules) {
    if (perturbed.length >= nPathwayPerturbed) break
    // skip near-duplicates of a pathway already used (Reactome nests many similar sets)
    if (usedModules.some((u) => overlap(u, m.genes) > 0.5)) continue
    const free = m.genes.filter((g) => !perturbedSet.has(g) && hasGo(g) && primaryOf.get(g) === m.index)
    if (free.length < 2) continue
    const k = Math.min(free.length, nPathwayPerturbed - perturbed.length, 2 + rng.int(params.perturbedPerModule - 1))
    const picked = rng.sample(free, k)
    const newMembers = m.genes.filter((g) => !measured.has(g)).length
    const room = pathwayBudget - measured.size
    if (room < picked.length) break
    for (const g of picked) {
      perturbed.push(g)
      perturbedSet.add(g)
      measured.add(g)
    }
    // measure the pathway's other members too (as many as the budget allows), where effects land
    const others = rng.shuffle(m.genes.filter((g) => !measured.has(g)))
    // screens that perturb much of the panel keep room for the perturbed genes still to come
    const reserve = params.reservePerturbed ? nPathwayPerturbed - perturbed.length : 0
    for (const g of others.slice(0, Math.max(0, Math.min(newMembers, room - picked.length - reserve)))) measured.add(g)
    usedModules.push(m.genes)
  }
  if (perturbed.length < nPathwayPerturbed) {
    throw new AppError('synthetic.too-little-knowledge', `Found pathways for ${perturbed.length} perturbed genes; the preset needs ${nPathwayPerturbed}. Use the full Reactome files.`)
  }

  // ── perturbed genes without any pathway: half with GO terms, half with no knowledge at all ──
  const noPathway = universe.filter((g) => !anyPathway.has(g))
  const noPathwayGo = noPathway.filter(hasGo)
  const noKnowledge = noPathway.filter((g) => !hasGo(g))
  const nBare = Math.min(noKnowledge.length, Math.floor(params.nSinglesWithoutPathway / 2))
  const bare = rng.sample(noKnowledge, nBare)
  const withGo = rng.sample(noPathwayGo, params.nSinglesWithoutPathway - nBare)
  if (bare.length + withGo.length < params.nSinglesWithoutPathway) {
    throw new AppError('synthetic.too-little-knowledge', 'The knowledge has too few genes outside Reactome pathways for the preset.')
  }
  for (const g of [...withGo, ...bare]) {
    perturbed.push(g)
    perturbedSet.add(g)
    measured.add(g)
  }

  // ── fill: more pathway genes up to the share, then GO-annotated (and a few bare) genes ──
  const pathwayFill = rng.shuffle(universe.filter((g) => anyPathway.has(g) && !measured.has(g)))
  for (const g of pathwayFill) {
    if (measured.size >= pathwayBudget) break
    measured.add(g)
  }
  const goFill = rng.shuffle(noPathwayGo.filter((g) => !measured.has(g)))
  const bareFill = rng.shuffle(noKnowledge.filter((g) => !measured.has(g)))
  const nBareFill = Math.min(bareFill.length, Math.round(0.1 * (params.nGenes - measured.size)))
  for (const g of bareFill.slice(0, nBareFill)) measured.add(g)
  for (const pool of [goFill, pathwayFill, bareFill]) {
    for (const g of pool) {
      if (measured.size >= params.nGenes) break
      measured.add(g)
    }
  }
  const genes = [...measured].sort(byCodeUnits)
  const geneIndex = new Map(genes.map((g, i) => [g, i]))

  // ── singles and pair-only genes ──
  const pathwayPerturbed = perturbed.slice(0, nPathwayPerturbed)
  const pairOnly = rng.sample(pathwayPerturbed, params.nPairOnlyGenes)
  const pairOnlySet = new Set(pairOnly)
  const singles = perturbed.filter((g) => !pairOnlySet.has(g))

  // ── pairs ──
  const l1Of = new Map<string, Set<number>>()
  sets.forEach((p, i) => {
    for (const g of p.genes) {
      if (!measured.has(g)) continue
      let s = l1Of.get(g)
      if (!s) l1Of.set(g, (s = new Set()))
      s.add(i)
    }
  })
  const sharePathway = (a: string, b: string) => {
    const sa = l1Of.get(a)
    const sb = l1Of.get(b)
    if (!sa || !sb) return false
    for (const p of sa) if (sb.has(p)) return true
    return false
  }
  const pairs = choosePairs(rng, params, singles, pairOnly, sharePathway)

  // ── structures for the network ──
  const pathways = sets
    .map((p, i) => ({ id: p.id, index: i, members: Int32Array.from(p.genes.filter((g) => geneIndex.has(g)).map((g) => geneIndex.get(g)!)).sort() }))
    .filter((p) => p.members.length >= 2)
  const kept = new Map(pathways.map((p, k) => [p.index, k]))
  const primaryPathway = Int32Array.from(genes, (g) => kept.get(primaryOf.get(g) ?? -1) ?? -1)
  const termIndex = new Map<string, number>()
  const goSets = genes.map((g) => {
    const terms = [...new Set(knowledge.goTerms.get(g) ?? [])]
    return Int32Array.from(
      terms.map((t) => {
        let i = termIndex.get(t)
        if (i === undefined) termIndex.set(t, (i = termIndex.size))
        return i
      }),
    ).sort()
  })

  return {
    genes,
    geneIndex,
    singles,
    pairOnly,
    withoutPathway: [...withGo, ...bare],
    withoutKnowledge: bare,
    pairs,
    pathways: pathways.map(({ id, members }) => ({ id, members })),
    primaryPathway,
    goSets,
    transcriptionFactors: Int32Array.from(genes.map((g, i) => ((knowledge.goTerms.get(g) ?? []).some((t) => TF_TERMS.has(t)) ? i : -1)).filter((i) => i >= 0)),
  }
}

function choosePairs(rng: Rng, params: SyntheticParams, singles: string[], pairOnly: string[], sharePathway: (a: string, b: string) => boolean): DesignPair[] {
  const counts = pairTypeCounts(params.pairTypes, params.nPairs)
  const keys = new Set<string>()
  const raw: { a: string; b: string; redundant: boolean }[] = []
  const add = (a: string, b: string, redundant = false): boolean => {
    if (a === b) return false
    const [x, y] = a < b ? [a, b] : [b, a]
    const key = `${x}+${y}`
    if (keys.has(key)) return false
    keys.add(key)
    raw.push({ a: x, b: y, redundant })
    return true
  }
  const samePairs: [string, string][] = []
  for (let i = 0; i < singles.length; i++) for (let j = i + 1; j < singles.length; j++) if (sharePathway(singles[i], singles[j])) samePairs.push([singles[i], singles[j]])
  rng.shuffle(samePairs)

  // redundant pairs: pathway-mates, each gene in at most one (its partner becomes its paralog)
  const inRedundant = new Set<string>()
  let nRedundant = 0
  for (const [a, b] of samePairs) {
    if (nRedundant >= counts.redundant) break
    if (inRedundant.has(a) || inRedundant.has(b)) continue
    if (add(a, b, true)) {
      inRedundant.add(a)
      inRedundant.add(b)
      nRedundant++
    }
  }
  counts.additive += counts.redundant - nRedundant
  counts.redundant = nRedundant

  // pairs with a gene that has no single: each with one or two singles, pathway-mates first
  for (const g of pairOnly) {
    const mates = rng.shuffle(singles.filter((s) => sharePathway(g, s)))
    const others = rng.shuffle(singles.filter((s) => !sharePathway(g, s)))
    const partners = [...mates, ...others].slice(0, 1 + rng.int(2))
    for (const s of partners) if (raw.length < params.nPairs) add(g, s)
  }
  const wantSame = Math.round(params.samePathwayPairs * params.nPairs)
  for (const [a, b] of samePairs) {
    if (raw.length >= params.nPairs || raw.filter((p) => sharePathway(p.a, p.b)).length >= wantSame) break
    add(a, b)
  }
  for (let guard = 0; raw.length < params.nPairs && guard < 100 * params.nPairs; guard++) add(singles[rng.int(singles.length)], singles[rng.int(singles.length)])

  const types: InteractionType[] = []
  for (const t of Object.keys(counts) as InteractionType[]) if (t !== 'redundant') for (let i = 0; i < counts[t]; i++) types.push(t)
  rng.shuffle(types)
  let next = 0
  return raw.map((p) => ({ a: p.a, b: p.b, type: p.redundant ? 'redundant' : types[next++] ?? 'additive', samePathway: sharePathway(p.a, p.b) }))
}

function overlap(a: string[], b: string[]): number {
  const sb = new Set(b)
  let n = 0
  for (const g of a) if (sb.has(g)) n++
  return n / Math.min(a.length, b.length)
}

/** Plain code-unit order: the same on every machine, unlike localeCompare. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
