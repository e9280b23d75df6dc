/**
 * Time and memory of a training setup, for the setup screen, before anything is loaded. Time
 * comes from earlier runs of the same model on the same backend here (seconds per training
 * condition × gene, the unit an epoch's cost scales with), else from rough per-backend rates;
 * memory from the dataset's size and the batch. Both are labelled as estimates.
 */
import os from 'node:os'
import type { ComputeBackend, DatasetSummary, TrainEstimate, TrainSetup } from '../../../src-shared/contract'
import { computesOnOneCore } from '../../ml/backend'
import { CV_FOLDS, CV_MAX_GENES } from '../../ml/trainer'

/** A finished epoch of an earlier run, with the sizes it ran at. */
export interface EpochSample {
  model: string
  backend: string
  seconds: number
  trainConditions: number
  genes: number
  /** the run's hidden size */
  hidden: number
  /** cells per training condition it took each step (its setting, or the dataset's mean for `all`) */
  cellsPerCondition: number
  /** worker threads its steps were split over (1 for runs before the option) */
  workers: number
}

/**
 * An epoch's cost relative to hidden size 64. The recovery MLP ([H, 2H, H] over every gene of
 * every condition) grows with H², the rest does not: GEARS over all norman-like cells took 24–26 s
 * at 64, 41–42 s at 96, 64–66 s at 128 (docs/results.md).
 */
export function hiddenCostFactor(hidden: number): number {
  return 0.5 + 0.5 * (hidden / 64) ** 2
}

/**
 * An epoch's cost relative to 32 cells per condition. The knowledge stream runs once per condition
 * whatever its cells; only the loss (and BioDSNN's VAE) grows with them: GEARS over norman-like took
 * 32.5 s per epoch at 32 cells and ~41 s over all (~300 per condition), BioDSNN 86 s and 105–113 s.
 */
export function cellsCostFactor(cellsPerCondition: number): number {
  return 1 + (cellsPerCondition - 32) / 1000
}

/**
 * An epoch's time on `workers` data-parallel workers relative to one, on a one-core backend (wasm,
 * cpu; the others use every core themselves): the steps' parts run on separate cores, and every
 * step waits for its slowest part and sums the gradients. PARALLEL_EFFICIENCY is this 2-core
 * machine's (bench train --workers 1,2, norman-like: 1.11–1.12× for GEARS and BioDSNN, where two
 * independent trainings side by side each slow down by half; docs/results.md), so the figure
 * under-promises where cores do not share memory bandwidth that way; an earlier run with workers
 * on this machine replaces it. Workers beyond the cores add nothing.
 */
export function workersTimeFactor(workers: number, backend: string, cores = os.availableParallelism()): number {
  if (!computesOnOneCore(backend)) return 1
  const w = Math.max(1, Math.min(workers, cores))
  return 1 / (1 + PARALLEL_EFFICIENCY * (w - 1))
}
const PARALLEL_EFFICIENCY = 0.12

/** Cells per condition a setup takes each step: its setting, at most the dataset's mean. */
export function effectiveCells(cellsPerCondition: number | 'all', ds: Pick<DatasetSummary, 'cells' | 'controlCells' | 'singles' | 'combos'>): number {
  const meanCells = Math.max(0, ds.cells - ds.controlCells) / Math.max(1, ds.singles + ds.combos)
  return cellsPerCondition === 'all' ? meanCells : Math.min(cellsPerCondition, meanCells)
}

// Seconds per (training condition × gene) per epoch on wasm, 2 cores: from the targets
// (norman-like, ~5,000 genes: BioDSNN ≤ 120 s, GEARS ≤ 60 s per epoch); the other backends relative to it.
const WASM_RATE: Record<string, number> = { gears: 4e-5, biodsnn: 8e-5, 'biodsnn-no-vae': 7e-5, 'biodsnn-no-attention': 5e-5, 'biodsnn-no-mask': 8e-5 }
// webgpu: issue 23's targets on a hardware adapter (GEARS ≤ 3 s against ~21 s on wasm); a forced software adapter is far slower.
const BACKEND_FACTOR: Record<ComputeBackend, number> = { 'tfjs-node-gpu': 0.15, webgpu: 0.15, 'tfjs-node': 0.6, wasm: 1, cpu: 5 }
/** Typical share of non-zero entries in a log-normalised Perturb-seq matrix (for the memory figure). */
const DENSITY = 0.15

/** Training conditions a split leaves, before the split is drawn (docs/ml-engine.md §6). */
export function expectedTrainConditions(setup: TrainSetup, ds: Pick<DatasetSummary, 'singles' | 'combos'>): number {
  const perturbed = ds.singles + ds.combos
  if (setup.split.kind === 'custom') return Object.values(setup.split.assignment ?? {}).filter((v) => v === 'train').length
  // single: 80 % of genes; simulation: singles of 75 % of genes, ~0.75² × 0.75 of combos, then 90 % for validation.
  const share = setup.split.kind === 'single' ? 0.8 : 0.9 * (ds.singles * 0.75 + ds.combos * 0.42) / Math.max(1, perturbed)
  return Math.max(1, Math.round(perturbed * share)) + 1 // + ctrl
}

/** `cores`: this machine's (workers beyond them add no speed). */
export function estimateTraining(setup: TrainSetup, ds: DatasetSummary, backend: ComputeBackend, history: EpochSample[], cores = os.availableParallelism()): TrainEstimate {
  const trainConditions = expectedTrainConditions(setup, ds)
  const perCondition = effectiveCells(setup.cellsPerCondition, ds)
  const cellsPerEpoch = Math.round(trainConditions * perCondition)
  const stepsPerEpoch = Math.ceil(trainConditions / setup.batchConditions)
  const baseline = !(setup.model in WASM_RATE)
  const workers = baseline || !computesOnOneCore(backend) ? 1 : (setup.workers ?? 1)

  const same = history.filter((h) => h.model === setup.model && h.backend === backend && h.trainConditions > 0 && h.genes > 0)
  let rate: number
  let basis: TrainEstimate['basis']
  if (same.length) {
    // scaled to this setup's hidden size and cells: earlier runs may have used others
    const scale = (h: EpochSample) =>
      (hiddenCostFactor(setup.hidden) / hiddenCostFactor(h.hidden)) * (cellsCostFactor(perCondition) / cellsCostFactor(h.cellsPerCondition)) * (workersTimeFactor(workers, backend, cores) / workersTimeFactor(h.workers, backend, cores))
    const rates = same.map((h) => (h.seconds / (h.trainConditions * h.genes)) * scale(h)).sort((a, b) => a - b)
    rate = rates[Math.floor(rates.length / 2)]
    basis = 'history'
  } else {
    rate = baseline ? 0 : WASM_RATE[setup.model] * BACKEND_FACTOR[backend] * hiddenCostFactor(setup.hidden) * cellsCostFactor(perCondition) * workersTimeFactor(workers, backend, cores)
    basis = 'model'
  }
  const secondsPerEpoch = baseline ? 1 : rate * trainConditions * ds.genes
  // Residual runs on small screens train a model per fold first (docs/ml-engine.md §11.3), about as large as the run's own.
  const poolGenes = Math.round(ds.singles * (setup.split.kind === 'single' ? 0.9 : 0.85))
  const folds = !baseline && setup.prior === 'knowledge' && poolGenes < CV_MAX_GENES && poolGenes >= CV_FOLDS ? CV_FOLDS : null
  const epochs = baseline ? 1 : setup.epochs * (folds ? folds + 1 : 1)

  // Worker runtime + the expression matrix (CSR, a copy in the worker) + activations and gradients of one step.
  const expressionMb = (ds.cells * ds.genes * DENSITY * 8 + ds.cells * 4) / 1048576
  const stepMb = baseline ? 0 : (setup.batchConditions * (perCondition + setup.hidden) * ds.genes * 4 * 24) / 1048576
  // Data-parallel: each further worker holds its own runtime and a copy of the model with its
  // gradients and Adam moments (~16 bytes per weight; the gene tables dominate); the step's
  // activations are split between them, and the expression matrix is shared.
  const modelMb = (16 * 8 * ds.genes * setup.hidden) / 1048576
  const memoryMb = Math.round(300 + expressionMb * 2 + stepMb + (workers - 1) * (150 + modelMb))

  const how = baseline
    ? 'Baselines are fitted in closed form: seconds, whatever the dataset.'
    : basis === 'history'
      ? `From ${same.length} earlier epoch${same.length === 1 ? '' : 's'} of ${setup.model} on ${backend} here, scaled to this dataset's training conditions and genes and to this hidden size and cells per condition.`
      : `A rough figure for ${setup.model} on ${backend}; it becomes a measured one after the first run of this model on this machine.`
  const parallel = workers > 1 ? ` Each step is split over ${workers} worker threads.` : ''
  const note = (folds ? `${how} With about ${poolGenes} perturbed genes, the run first trains one model per fold of a ${folds}-fold cross-validation to choose its epoch (at most ${folds + 1}× the time of one training).` : how) + parallel
  return { seconds: Math.max(1, Math.round(secondsPerEpoch * epochs)), secondsPerEpoch: Number(secondsPerEpoch.toFixed(1)), memoryMb, trainConditions, cellsPerEpoch, stepsPerEpoch, backend, basis, note, crossValidationFolds: folds }
}
