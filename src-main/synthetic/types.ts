import type { CsrMatrix } from '../io/raw-dataset'
import type { SyntheticParams } from './presets'

export type SyntheticPreset = 'small' | 'norman-like' | 'replogle-like'
export const SYNTHETIC_PRESETS: readonly SyntheticPreset[] = ['small', 'norman-like', 'replogle-like']

/** CRISPR interference (knock-down: the target goes down) or activation (it goes up). */
export type Modality = 'CRISPRi' | 'CRISPRa'

/** Declared genetic-interaction types (docs/ml-engine.md §9 names). */
export type InteractionType = 'additive' | 'synergy' | 'suppression' | 'epistasis' | 'neomorphic' | 'redundant'
export const INTERACTION_TYPES: readonly InteractionType[] = ['additive', 'synergy', 'suppression', 'epistasis', 'neomorphic', 'redundant']

/**
 * Prior knowledge the generator draws genes and network structure from. Injected, so the core
 * needs no files; `loadSyntheticKnowledge` builds it from a knowledge folder.
 */
export interface SyntheticKnowledge {
  /** human gene symbols that may be measured */
  genes: string[]
  /** Reactome gene sets at the lowest level (each gene in the pathways where it is L1) */
  pathways: { id: string; genes: string[] }[]
  /** gene symbol → GO term ids */
  goTerms: Map<string, string[]>
  /** genes in any Reactome pathway at any level; defaults to the union of `pathways` */
  inAnyPathway?: ReadonlySet<string>
}

export interface SyntheticOptions {
  preset: SyntheticPreset
  seed: number
  knowledge: SyntheticKnowledge
  /** default per preset: CRISPRa for norman-like (as Norman et al. 2019), CRISPRi for small and replogle-like */
  modality?: Modality
  /** shrink the preset (0 < scale ≤ 1; `scaleParams`): fewer perturbations and control cells, same panel */
  scale?: number
  onProgress?: (fraction: number, message: string) => void
}

export interface SyntheticPair {
  condition: string
  genes: [string, string]
  type: InteractionType
  /** the declared coefficients on the single effects: ab = c1·a + c2·b (+ novel for neomorphic) */
  c1: number
  c2: number
  /** neomorphic only: the gene whose downstream program the pair switches on, and ‖novel‖ / ‖a + b‖ */
  novelGene?: string
  novelRatio?: number
  /** both genes share a Reactome pathway */
  samePathway: boolean
}

export interface SyntheticEdge {
  source: string
  target: string
  weight: number
  /** why the edge exists: shared pathway, GO similarity, random background, copied from a paralog, or a transcriptional program */
  origin: 'pathway' | 'go' | 'background' | 'paralog' | 'program'
}

/** The ground truth behind the counts. */
export interface SyntheticTruth {
  modality: Modality
  /** every perturbed condition (singles then pairs), the row order of `effects` */
  conditions: string[]
  /** conditions × genes, row-major: true mean of log1p(normalize_total) minus the control's */
  effects: Float32Array
  /** per gene: true mean of log1p(normalize_total) in control cells */
  controlMean: Float32Array
  /** normalize_total's target: the expected median total count */
  targetSum: number
  /** per gene: expected share of a control cell's counts, and NB dispersion */
  baseShare: Float64Array
  dispersion: Float64Array
  /** per cell: library size (expected total count before perturbation effects) */
  librarySize: Float64Array
  /** the perturbed gene's own log-scale shift, per perturbed gene */
  selfEffect: Map<string, number>
  pairs: SyntheticPair[]
  network: SyntheticEdge[]
  /** the master regulator of each transcriptional program */
  programRegulators: string[]
  /** perturbed genes listed in no Reactome pathway (and those also without GO terms) */
  perturbedWithoutPathway: string[]
  perturbedWithoutKnowledge: string[]
  /** presets with guides: every guide, its target (`ctrl` for non-targeting) and knock-down efficiency */
  guides?: SyntheticGuide[]
}

export interface SyntheticGuide {
  name: string
  /** the perturbed gene, or 'ctrl' for a non-targeting guide */
  gene: string
  /** the share of the gene's self effect this guide achieves (0 for non-targeting) */
  efficiency: number
  cells: number
}

export interface SyntheticDataset {
  preset: SyntheticPreset
  seed: number
  /** the preset's parameters as generated (modality and scale applied) */
  params: SyntheticParams
  scale: number
  /** cells × genes raw counts (whole numbers stored as float32), rows grouped by condition */
  X: CsrMatrix
  /** barcodes */
  cells: string[]
  /** measured gene symbols (var index) */
  genes: string[]
  /** GEARS obs columns */
  obs: {
    condition: string[]
    cell_type: string[]
    condition_name: string[]
    dose_val: string[]
    control: Uint8Array
    /** presets with guides: each cell's guide (Replogle's column name) and 10x GEM group */
    guide_identity?: string[]
    gem_group?: Int32Array
  }
  singles: string[]
  combos: string[]
  controlCells: number
  truth: SyntheticTruth
}
