import fs from 'node:fs'
import path from 'node:path'
import { AppError } from '../../../src-shared/contract'
import { writeH5ad, type H5adWriteInput, type H5adWriteOptions } from '../../io/h5ad-write'
import type { UnsValue } from '../../io/raw-dataset'
import { generateSynthetic } from './generate'
import { loadSyntheticKnowledge } from './knowledge-input'
import { PRESET_PARAMS, SYNTH_VERSION } from './presets'
import type { Modality, SyntheticDataset, SyntheticPreset } from './types'

/** The synthetic dataset in GEARS layout, with its ground truth under `uns/synthetic`. */
export function toH5adInput(ds: SyntheticDataset): H5adWriteInput {
  const t = ds.truth
  const nGenes = ds.genes.length
  const effects = t.conditions.map((_, k) => t.effects.subarray(k * nGenes, (k + 1) * nGenes))
  const params = { ...PRESET_PARAMS[ds.preset], modality: t.modality }
  const synthetic: Record<string, UnsValue> = {
    generator: 'perturb-studio synth',
    version: SYNTH_VERSION,
    preset: ds.preset,
    seed: ds.seed,
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
  }
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
    },
    uns: { synthetic },
  }
}

export async function writeSyntheticH5ad(file: string, ds: SyntheticDataset, options: H5adWriteOptions = {}): Promise<void> {
  await writeH5ad(file, toH5adInput(ds), options)
}

export interface SynthesizeOptions {
  preset: SyntheticPreset
  seed: number
  out: string
  /** knowledge folder with the Reactome and NCBI files */
  knowledgeFolder: string
  modality?: Modality
  onProgress?: (fraction: number, message: string) => void
}

export interface SynthesizeSummary {
  out: string
  cells: number
  genes: number
  singles: number
  combos: number
  controlCells: number
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
  const ds = await generateSynthetic({
    preset: options.preset,
    seed: options.seed,
    knowledge,
    modality: options.modality,
    onProgress: (f, m) => progress(0.1 + 0.6 * f, m),
  })
  await writeSyntheticH5ad(out, ds, { onProgress: (f, m) => progress(0.7 + 0.3 * f, m) })
  return {
    out,
    cells: ds.cells.length,
    genes: ds.genes.length,
    singles: ds.singles.length,
    combos: ds.combos.length,
    controlCells: ds.controlCells,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  }
}
