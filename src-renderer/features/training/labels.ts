/** Display names and number formats for the training screens (presentation only, no science). */
import type { CompareGroup, ModelPrior, RunMetricName, TrainableName } from '../../../src-shared/contract'
import type { GroupVerdict, VerdictCall } from '../../../src-shared/domain/verdict'

/** Every trainable name, and `linear` ahead of its arrival in TRAIN_BASELINES. */
export const MODEL_LABELS: Record<TrainableName | 'linear', string> = {
  gears: 'GEARS',
  biodsnn: 'BioDSNN',
  'biodsnn-no-vae': 'BioDSNN without VAE',
  'biodsnn-no-attention': 'BioDSNN without attention',
  'biodsnn-no-mask': 'BioDSNN, attention without mask',
  no_perturb: 'no_perturb (control mean)',
  train_mean: 'train_mean (mean training effect)',
  additive: 'additive (sum of singles)',
  train_mean_self: 'train_mean_self (train_mean + self-effect)',
  knowledge_prior: 'Knowledge prior (measured singles + pathway mates)',
  linear: 'Linear (PCA + ridge)',
}

export const MODEL_HINTS: Record<string, string> = {
  gears: 'Knowledge-graph network: GO graph of perturbations, co-expression graph of genes.',
  biodsnn: 'GEARS knowledge stream + pathway-masked attention + a VAE on the control cell.',
  'biodsnn-no-vae': 'Ablation: BioDSNN with the control cell used as it is (no VAE data stream).',
  'biodsnn-no-attention': 'Ablation: BioDSNN with GEARS’ cross-gene layer instead of attention.',
  'biodsnn-no-mask': 'Ablation: BioDSNN with attention over all gene pairs (no pathway mask).',
}

export const GROUP_LABELS: Record<CompareGroup, string> = {
  overall: 'overall',
  unseen_single: 'unseen single',
  combo_seen0: 'combo, 0 genes seen',
  combo_seen1: 'combo, 1 gene seen',
  combo_seen2: 'combo, 2 genes seen',
}

/** The test groups in plain words ("On genes it never saw perturbed, …"). */
export const GROUP_PLAIN: Record<CompareGroup, string> = {
  overall: 'all test conditions',
  unseen_single: 'genes it never saw perturbed',
  combo_seen0: 'pairs with neither gene seen',
  combo_seen1: 'pairs with one gene seen',
  combo_seen2: 'pairs with both genes seen',
}

/** The model formulations of the setup (docs/ml-engine.md §11.2), with their one-line explanation. */
export const PRIOR_LABELS: Record<ModelPrior, string> = {
  knowledge: 'Grounded: knowledge prior + network correction (recommended)',
  none: 'As published (GEARS/BioDSNN papers)',
}
export const PRIOR_HELP: Record<ModelPrior, string> = {
  knowledge: 'Starts from the knowledge prior (each gene’s measured change alone, or its pathway mates’ for a gene never measured) and trains the network only on what the prior misses.',
  none: 'The network predicts the whole change from control, as in the GEARS and BioDSNN papers.',
}
/** A run's formulation in a few words; runs stored before the choice existed are as published. */
export function priorShort(prior: ModelPrior | undefined): string {
  return prior === 'knowledge' ? 'grounded (knowledge prior + network)' : 'as published'
}

export const CALL_LABELS: Record<VerdictCall, string> = { better: 'better', 'no-better': 'no better', worse: 'worse' }

/** A verdict's text with its figures kept on one line: "by 12 % [4, 19]", "(ratio 0.98 [0.91, 1.06])". */
export function verdictWords(text: string): string {
  return text.replace(/\([^)]*\)|\[[^\]]*\]|\d %/g, (m) => m.replace(/ /g, '\u00a0'))
}

/** Whole percentages, as the core's verdict text writes them. */
const pctOf = (x: number) => Math.round(x * 100)

/**
 * A comparison with the knowledge prior alone, as a verb phrase after "the model":
 * "beat the prior by 12 % [4, 19]", "was no better than the prior", "was worse than the prior by …".
 */
export function priorPhrase(v: GroupVerdict): string {
  if (v.n < 2 || v.best_baseline === '') return `had too few test conditions to compare with the prior (n = ${v.n})`
  if (v.call === 'better') return verdictWords(`beat the prior by ${pctOf(1 - v.ratio)} % [${pctOf(1 - v.hi)}, ${pctOf(1 - v.lo)}]`)
  if (v.call === 'worse') return verdictWords(`was worse than the prior by ${pctOf(v.ratio - 1)} % [${pctOf(v.lo - 1)}, ${pctOf(v.hi - 1)}]`)
  return verdictWords(`was no better than the prior (mse_de ratio ${v.ratio.toFixed(2)} [${v.lo.toFixed(2)}, ${v.hi.toFixed(2)}])`)
}

/** Short column heads for the metric table; the full name is in the title. */
export const METRIC_SHORT: Record<RunMetricName | 'mse_de_norm', string> = {
  mse: 'mse',
  pearson: 'pearson',
  mse_de: 'mse_de',
  pearson_de: 'pearson_de',
  pearson_delta: 'pearson_delta',
  pearson_delta_de: 'pearson_delta_de',
  pearson_delta_centroid: 'pearson Δ vs avg. perturbation',
  frac_opposite_direction_top20_non_dropout: 'opposite dir. (top 20)',
  mse_top20_de_non_dropout: 'mse top 20 DE',
  frac_in_range_45_55: 'in 45–55 %',
  mse_de_norm: 'mse_de ÷ no_perturb',
}

export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—'
  const a = Math.abs(x)
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2)
  return x.toFixed(digits)
}

export function fmtRate(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—'
  return x >= 100 ? Math.round(x).toLocaleString() : x.toFixed(1)
}

export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—'
  if (seconds < 9.95) return `${Math.max(0, seconds).toFixed(1)} s`
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return m < 10 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${m} min`
  const h = Math.floor(m / 60)
  return `${h} h ${String(m % 60).padStart(2, '0')} min`
}

export function fmtMemory(mb: number | null | undefined): string {
  if (mb === null || mb === undefined || !Number.isFinite(mb)) return '—'
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`
}

export function fmtDate(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' }) : '—'
}

/** The perturbation graph a run placed unseen genes by (docs/ml-engine.md §2), in plain words. */
export const PERT_GRAPH_WORDS: Record<'go' | 'reactome' | 'both', string> = { go: 'GO terms', reactome: 'Reactome pathways', both: 'GO terms and Reactome pathways' }
