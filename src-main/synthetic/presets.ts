import type { InteractionType, Modality, SyntheticPreset } from './types'

/** Bumped whenever the same seed would give a different file. */
export const SYNTH_VERSION = '1.0.0'

export interface SyntheticParams {
  modality: Modality
  // ── design ──
  nGenes: number
  nSingles: number
  /** singles whose gene is in no Reactome pathway (half of them also without GO terms) */
  nSinglesWithoutPathway: number
  /** genes perturbed only in pairs (no single condition) */
  nPairOnlyGenes: number
  nPairs: number
  /** share of declared types among the pairs (rounded to counts, each type at least once) */
  pairTypes: Record<InteractionType, number>
  /** share of pairs whose genes share a pathway */
  samePathwayPairs: number
  /** pathways perturbed genes are drawn from: member count range, and 2..k perturbed genes each */
  modulePathwaySize: [number, number]
  perturbedPerModule: number
  /** share of measured genes that are in some pathway */
  pathwayGeneShare: number
  // ── cells ──
  cellsPerCondition: number
  controlCells: number
  /** median library size (counts per cell) and its log-normal spread */
  libraryMedian: number
  librarySd: number
  // ── expression ──
  /** sd of the log base expression across genes */
  expressionSd: number
  /** median NB dispersion and its log-normal spread */
  dispersionMedian: number
  dispersionSd: number
  // ── network ──
  /**
   * Each pathway has `pathwayResponders` responding members. A gene regulates each responder of
   * its primary pathway with probability `responderLink` (so pathway-mates share targets) plus
   * about `pathwayTargets` other members; in its other pathways the rates are scaled by
   * `secondaryPathways`.
   */
  pathwayResponders: number
  responderLink: number
  pathwayTargets: number
  secondaryPathways: number
  /** GO edges: top partners considered, minimum Jaccard, probability per unit Jaccard */
  goPartners: number
  goMinJaccard: number
  goEdgeRate: number
  /** expected random targets per regulator */
  backgroundTargets: number
  /** pathways with more measured members than this give no edges (too generic) */
  maxEdgePathway: number
  /** mean |weight| and the share of edges whose sign breaks the pathway's pattern */
  weightMean: number
  signNoise: number
  activitySd: number
  /**
   * Transcriptional programs: each has a master regulator (a transcription factor) with targets
   * among `programShare` of the genes; each pathway feeds one program, each member whose primary
   * pathway it is linking to its regulator with probability `programLink`. They make responses
   * broad, as in real screens.
   */
  nPrograms: number
  programShare: number
  programLink: number
  programWeight: number
  /** propagation: steps and saturation (largest network-driven log change) */
  steps: number
  saturation: number
  /** |self effect| range on the log scale */
  selfEffect: [number, number]
  // ── guides (replogle-like) ──
  /**
   * Guides per perturbed gene, each with its own knock-down efficiency (its self effect is scaled
   * by it before propagation); cells of a condition are split between its guides. Absent: one
   * implicit guide of full efficiency and no guide column (small, norman-like).
   */
  guides?: {
    perGene: number
    /** efficiency range of a working guide, and the share of weak guides with their range */
    efficiency: [number, number]
    weakShare: number
    weakEfficiency: [number, number]
    /** non-targeting guides the control cells are split over */
    controlGuides: number
    /** 10x GEM groups (lanes) the cells are spread over (`gem_group`) */
    gemGroups: number
  }
  /**
   * Design: when filling a module's pathway members, keep room in the pathway budget for the
   * perturbed genes still to come (screens that perturb a large share of the panel).
   */
  reservePerturbed?: boolean
}

const BASE = {
  pairTypes: { additive: 0.28, synergy: 0.2, suppression: 0.18, epistasis: 0.13, neomorphic: 0.12, redundant: 0.09 },
  samePathwayPairs: 0.4,
  librarySd: 0.35,
  expressionSd: 1.6,
  dispersionMedian: 0.25,
  dispersionSd: 0.5,
  pathwayResponders: 6,
  responderLink: 0.7,
  pathwayTargets: 2,
  secondaryPathways: 0.15,
  goPartners: 20,
  goMinJaccard: 0.1,
  goEdgeRate: 1.2,
  backgroundTargets: 1,
  maxEdgePathway: 120,
  weightMean: 0.3,
  signNoise: 0.1,
  programShare: 0.25,
  programLink: 0.8,
  programWeight: 0.6,
  activitySd: 0.4,
  steps: 3,
  saturation: 1.2,
} satisfies Partial<SyntheticParams>

export const PRESET_PARAMS: Record<SyntheticPreset, SyntheticParams> = {
  small: {
    ...BASE,
    modality: 'CRISPRi',
    nGenes: 300,
    nPrograms: 4,
    nSingles: 20,
    nSinglesWithoutPathway: 2,
    nPairOnlyGenes: 1,
    nPairs: 20,
    modulePathwaySize: [4, 24],
    perturbedPerModule: 3,
    pathwayGeneShare: 0.6,
    cellsPerCondition: 50,
    controlCells: 1000,
    libraryMedian: 1500,
    selfEffect: [1.2, 2.5],
  },
  'norman-like': {
    ...BASE,
    modality: 'CRISPRa',
    nGenes: 5000,
    nPrograms: 10,
    nSingles: 100,
    nSinglesWithoutPathway: 5,
    nPairOnlyGenes: 5,
    nPairs: 130,
    modulePathwaySize: [5, 60],
    perturbedPerModule: 4,
    pathwayGeneShare: 0.6,
    cellsPerCondition: 300,
    controlCells: 10000,
    libraryMedian: 1500,
    selfEffect: [1.5, 3.5],
  },
  'replogle-like': {
    ...BASE,
    // Replogle et al. 2022 (K562 essential, CRISPRi): ~2,000 genes knocked down one at a time,
    // ~150 cells per gene over two guides, ~10 k non-targeting control cells, 8,000 genes measured.
    // Perturbed genes come in larger groups of complex/pathway mates, as essential genes do.
    modality: 'CRISPRi',
    nGenes: 8000,
    nPrograms: 16,
    nSingles: 2000,
    nSinglesWithoutPathway: 40,
    nPairOnlyGenes: 0,
    nPairs: 0,
    modulePathwaySize: [5, 150],
    perturbedPerModule: 8,
    pathwayGeneShare: 0.7,
    cellsPerCondition: 145,
    controlCells: 10000,
    libraryMedian: 1500,
    selfEffect: [1.2, 2.5],
    maxEdgePathway: 160,
    guides: { perGene: 2, efficiency: [0.6, 1], weakShare: 0.1, weakEfficiency: [0.05, 0.3], controlGuides: 20, gemGroups: 8 },
    reservePerturbed: true,
  },
}

/**
 * A preset's parameters at `scale` (0 < scale ≤ 1): the perturbations (singles, pairs) and the
 * control cells shrink, cells per condition and the gene panel stay. Tests use replogle-like at
 * 1/100 (20 singles, 100 control cells, 8,000 genes).
 */
export function scaleParams(p: SyntheticParams, scale: number): SyntheticParams {
  if (!(scale > 0 && scale <= 1)) throw new RangeError(`scale must be in (0, 1] (got ${scale})`)
  if (scale === 1) return p
  const s = (n: number, min: number) => (n === 0 ? 0 : Math.max(min, Math.round(n * scale)))
  const nSingles = s(p.nSingles, 4)
  return {
    ...p,
    nSingles,
    nSinglesWithoutPathway: Math.min(s(p.nSinglesWithoutPathway, 2), nSingles - 2),
    nPairOnlyGenes: s(p.nPairOnlyGenes, 1),
    nPairs: s(p.nPairs, 6),
    controlCells: s(p.controlCells, 50),
  }
}

/** Type counts for `n` pairs from the shares: every type at least once, largest remainders first. */
export function pairTypeCounts(shares: Record<InteractionType, number>, n: number): Record<InteractionType, number> {
  const types = Object.keys(shares) as InteractionType[]
  const total = types.reduce((s, t) => s + shares[t], 0)
  const counts = Object.fromEntries(types.map((t) => [t, n >= types.length ? 1 : 0])) as Record<InteractionType, number>
  let left = n - types.reduce((s, t) => s + counts[t], 0)
  const want = types.map((t) => ({ t, exact: (shares[t] / total) * n - counts[t] }))
  for (const w of want) {
    const k = Math.max(0, Math.floor(w.exact))
    const take = Math.min(k, left)
    counts[w.t] += take
    left -= take
  }
  want.sort((a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)) || types.indexOf(a.t) - types.indexOf(b.t))
  for (let i = 0; left > 0; i = (i + 1) % want.length, left--) counts[want[i].t]++
  return counts
}
