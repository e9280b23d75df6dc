import fs from 'node:fs'
import path from 'node:path'
import { AppError } from '../../src-shared/contract'
import { writeH5ad, type CsrRowBlocks, type H5adWriteInput, type H5adWriteOptions } from '../io/h5ad-write'
import type { CsrMatrix, ObsColumn, UnsValue } from '../io/raw-dataset'
import { countBlocks, generatePlan, syntheticTable } from './generate'
import { loadSyntheticKnowledge } from './knowledge-input'
import { SYNTH_VERSION } from './presets'
import type { Modality, SyntheticDataset, SyntheticPreset } from './types'

/** A synthetic dataset whose counts may still be coming (row blocks, one condition each). */
export type SyntheticTable = Omit<SyntheticDataset, 'X'> & { X: CsrMatrix | CsrRowBlocks }

/** The synthetic dataset in GEARS layout, with its ground truth under `uns/synthetic`. */
export function toH5adInput(ds: SyntheticTable): H5adWriteInput {
  const t = ds.truth
  const nGenes = ds.genes.length
  const effects = t.conditions.map((_, k) => t.effects.subarray(k * nGenes, (k + 1) * nGenes))
  const params = ds.params
  const synthetic: Record<string, UnsValue> = {
    generator: 'perturb-studio synth',
    version: SYNTH_VERSION,
    preset: ds.preset,
    seed: ds.seed,
    ...(ds.scale !== 1 ? { scale: ds.scale } : {}),
    modality: t.modality,
    target_sum: t.targetSum,
    conditions: t.conditions,
    true_effects: effects,
    control_mean: t.controlMean,
    base_share: t.baseShare,
    dispersion: t.dispersion,
    self_effect: { gene: [...t.selfEffect.keys()], value: Float64Array.from(t.selfEffect.values()) },
    pairs: {
      condition: t.pairs.map((p) => p.condition),
      gene_a: t.pairs.map((p) => p.genes[0]),
      gene_b: t.pairs.map((p) => p.genes[1]),
      type: t.pairs.map((p) => p.type),
      c1: Float64Array.from(t.pairs, (p) => p.c1),
      c2: Float64Array.from(t.pairs, (p) => p.c2),
      novel_gene: t.pairs.map((p) => p.novelGene ?? ''),
      novel_ratio: Float64Array.from(t.pairs, (p) => p.novelRatio ?? 0),
      same_pathway: Int32Array.from(t.pairs, (p) => (p.samePathway ? 1 : 0)),
    },
    network: {
      source: t.network.map((e) => e.source),
      target: t.network.map((e) => e.target),
      weight: Float64Array.from(t.network, (e) => e.weight),
      origin: t.network.map((e) => e.origin),
    },
    program_regulators: t.programRegulators,
    perturbed_without_pathway: t.perturbedWithoutPathway,
    perturbed_without_knowledge: t.perturbedWithoutKnowledge,
    params: JSON.stringify(params),
    ...(t.guides
      ? {
          guides: {
            guide: t.guides.map((g) => g.name),
            gene: t.guides.map((g) => g.gene),
            efficiency: Float64Array.from(t.guides, (g) => g.efficiency),
            cells: Int32Array.from(t.guides, (g) => g.cells),
          },
        }
      : {}),
  }
  const guideColumns: Record<string, ObsColumn> = {}
  if (ds.obs.guide_identity) guideColumns.guide_identity = { type: 'string', values: ds.obs.guide_identity }
  if (ds.obs.gem_group) guideColumns.gem_group = { type: 'number', values: Float64Array.from(ds.obs.gem_group) }
  return {
    X: ds.X,
    cells: ds.cells,
    genes: { id: ds.genes, symbol: ds.genes },
    obs: {
      condition: { type: 'string', values: ds.obs.condition },
      cell_type: { type: 'string', values: ds.obs.cell_type },
      condition_name: { type: 'string', values: ds.obs.condition_name },
      dose_val: { type: 'string', values: ds.obs.dose_val },
      control: { type: 'number', values: Float64Array.from(ds.obs.control) },
      ...guideColumns,
    },
    uns: { synthetic },
  }
}

export async function writeSyntheticH5ad(file: string, ds: SyntheticTable, options: H5adWriteOptions = {}): Promise<void> {
  await writeH5ad(file, toH5adInput(ds), options)
}

export interface SynthesizeOptions {
  preset: SyntheticPreset
  seed: number
  out: string
  /** knowledge folder with the Reactome and NCBI files */
  knowledgeFolder: string
  modality?: Modality
  /** 0 < scale ≤ 1: a smaller screen of the same kind (`scaleParams`) */
  scale?: number
  onProgress?: (fraction: number, message: string) => void
}

export interface SynthesizeSummary {
  out: string
  cells: number
  genes: number
  singles: number
  combos: number
  controlCells: number
  /** stored (non-zero) counts */
  nnz: number
  seconds: number
}

/** Knowledge → dataset → `.h5ad`: what `perturb-studio synth` and the demo project run. */
export async function synthesizeToFile(options: SynthesizeOptions): Promise<SynthesizeSummary> {
  const started = performance.now()
  const out = path.resolve(options.out)
  if (!out.toLowerCase().endsWith('.h5ad')) throw new AppError('synthetic.bad-output', `The output file must end in .h5ad (got ${options.out}).`)
  if (!fs.existsSync(path.dirname(out))) throw new AppError('synthetic.bad-output', `The folder ${path.dirname(out)} does not exist; create it or choose another --out.`)
  const progress = options.onProgress ?? (() => undefined)
  progress(0, 'reading knowledge')
  const knowledge = await loadSyntheticKnowledge(options.knowledgeFolder)
  const plan = await generatePlan({
    preset: options.preset,
    seed: options.seed,
    knowledge,
    modality: options.modality,
    scale: options.scale,
    onProgress: (f, m) => progress(0.1 + 0.1 * f, m),
  })
  const ds = syntheticTable(plan)
  const nCells = plan.cellStart[plan.conditions.length]
  // counts are sampled condition by condition and written as they come: the matrix is never whole
  let nnz = 0
  const X: CsrRowBlocks = {
    nRows: nCells,
    nCols: plan.genes.length,
    blocks: function* () {
      for (const block of countBlocks(plan)) {
        nnz += block.data.length
        yield block
      }
    },
  }
  await writeSyntheticH5ad(out, { ...ds, X }, { onProgress: (f, m) => progress(0.2 + 0.8 * f, m === 'writing X' ? 'sampling and writing counts' : m) })
  return {
    out,
    cells: ds.cells.length,
    genes: ds.genes.length,
    singles: ds.singles.length,
    combos: ds.combos.length,
    controlCells: ds.controlCells,
    nnz,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  }
}
