/**
 * Plain-word explanations of every metric, option and flag the app shows: one table, read by the
 * renderer's hover explanations and Glossary page and by `perturb-studio glossary`.
 *
 * `short` is one line for a hover; `long` adds what a biologist needs to act on it. Keys are the
 * names the files, CLI JSON and tables use (`mse_de`, `simulation`, `knowledge_prior`, …).
 */
import { RUN_METRICS, type RunMetricName } from '../contract/channels/training'

export type GlossaryTopic = 'metric' | 'baseline' | 'model' | 'test group' | 'split' | 'training option' | 'knowledge' | 'flag' | 'interaction'

export interface GlossaryEntry {
  /** the name as the app writes it */
  term: string
  /** a few words a person would say instead */
  plain: string
  topic: GlossaryTopic
  /** one line, shown on hover */
  short: string
  /** optional second sentence or two */
  long?: string
  /** for metrics: which direction is better */
  better?: 'higher' | 'lower'
}

const metric = (term: string, plain: string, better: 'higher' | 'lower', short: string, long?: string): GlossaryEntry => ({ term, plain, topic: 'metric', better, short, long })

/** The §7 metrics, mse_de normalised by no_perturb, and the GI detection figures. */
const METRICS: GlossaryEntry[] = [
  metric('mse', 'error, all genes', 'lower', 'Average squared difference between predicted and measured mean expression over all genes. Lower is better.'),
  metric('pearson', 'correlation, all genes', 'higher', 'Correlation of predicted and measured mean expression over all genes. Higher is better, but it is high even for a model that predicts "no change".'),
  metric('mse_de', 'error on the top-20 changed genes', 'lower', 'Average squared difference between prediction and measurement over the 20 genes that changed most. Lower is better; the verdict uses this one.', 'The top-20 DE genes are those the perturbation moved most (differential expression against control cells).'),
  metric('pearson_de', 'correlation, top-20 changed genes', 'higher', 'Correlation of predicted and measured expression over the 20 genes that changed most. Higher is better.'),
  metric('pearson_delta', 'how well the change is predicted', 'higher', 'Correlation between the predicted change from control and the measured change, over all genes. The headline score: 1 is perfect, 0 is no better than chance.', 'Computed per condition and averaged over the test conditions.'),
  metric('pearson_delta_de', 'change correlation, top-20 genes', 'higher', 'Correlation between predicted and measured change from control over the 20 genes that changed most. Higher is better.'),
  metric('pearson_delta_centroid', 'change vs the average perturbation', 'higher', 'Like pearson_delta, but the change is measured from the average of all perturbed training cells, so a model cannot score by predicting the average perturbation. Higher is better.', 'Systema (Viñas Torné et al., 2025).'),
  metric('frac_opposite_direction_top20_non_dropout', 'genes predicted to move the wrong way', 'lower', 'Share of the top-20 changed genes (ignoring genes that are mostly zero) that the model predicts going up when they went down, or the reverse. Lower is better.'),
  metric('mse_top20_de_non_dropout', 'error on top-20 changed, expressed genes', 'lower', 'Average squared error over the top-20 changed genes, ignoring genes that are zero in most cells. Lower is better.'),
  metric('frac_in_range_45_55', 'share of predictions near the middle cell', 'higher', 'Share of the top-20 changed genes whose prediction falls between the 45th and 55th percentile of the measured cells (BioDSNN’s “within ±5 %”). Higher is better.'),
  metric('mse_de_norm', 'error relative to doing nothing', 'lower', 'mse_de divided by the mse_de of predicting no change at all. Below 1 means the model beats assuming the perturbation does nothing.'),
  metric('tpr_at_fdp', 'interactions found', 'higher', 'Of the gene pairs that truly interact, the share the model ranks as interacting before half of its calls are wrong. Higher is better.'),
  metric('auroc', 'ranking quality (AUROC)', 'higher', 'How well the model ranks interacting pairs above non-interacting ones: 0.5 is chance, 1 is perfect.'),
]

const BASELINES: GlossaryEntry[] = [
  { term: 'no_perturb', plain: 'no change', topic: 'baseline', short: 'Predicts that the perturbation changes nothing: every condition looks like the control cells.' },
  { term: 'train_mean', plain: 'average perturbation', topic: 'baseline', short: 'Predicts the average change of all perturbations seen in training, whatever gene is perturbed.' },
  { term: 'additive', plain: 'sum of the singles', topic: 'baseline', short: 'For a pair of genes, adds the measured changes of each gene alone. Hard to beat on pairs whose singles were measured.' },
  { term: 'train_mean_self', plain: 'average + own gene', topic: 'baseline', short: 'The average perturbation plus the drop (or rise) of the perturbed gene’s own expression.' },
  { term: 'knowledge_prior', plain: 'knowledge prior', topic: 'baseline', short: 'Each gene’s measured change when it was perturbed alone; for a gene never perturbed, the change of trained genes in the same Reactome pathways and GO terms. Summed over the genes of a set.' },
  { term: 'linear', plain: 'linear model', topic: 'baseline', short: 'A simple linear model (PCA of the training changes and a ridge regression), the 2025 benchmark’s strong baseline.' },
  { term: 'baseline', plain: 'simple predictor', topic: 'baseline', short: 'A simple predictor fitted beside every model on the same split (seconds, no training), so you can see whether the model adds anything.' },
]

const MODELS: GlossaryEntry[] = [
  { term: 'gears', plain: 'GEARS', topic: 'model', short: 'A graph neural network that uses a GO-term graph between perturbed genes and a co-expression graph between measured genes (Roohani et al., 2023).' },
  { term: 'biodsnn', plain: 'BioDSNN', topic: 'model', short: 'GEARS’ knowledge stream plus attention restricted to pathway partners and a model of the control cell (VAE).' },
  { term: 'verdict', plain: 'is the model worth using', topic: 'model', short: 'Whether the model’s mse_de beats the best baseline on the test conditions, by how much, with a 95 % interval from resampling the conditions.' },
  { term: 'prior', plain: 'model formulation', topic: 'training option', short: 'Grounded (recommended): the network only learns a correction to the knowledge prior. As published: the network predicts the whole change, as in the papers.' },
  { term: 'alpha', plain: 'share of the correction kept', topic: 'model', short: 'How much of the network’s correction to the knowledge prior the run keeps (0 = prior only, 1 = all of it), chosen on validation data.' },
]

const GROUPS: GlossaryEntry[] = [
  { term: 'overall', plain: 'all test conditions', topic: 'test group', short: 'Every condition held out for testing, together.' },
  { term: 'unseen_single', plain: 'new single genes', topic: 'test group', short: 'Single genes the model never saw perturbed in training.' },
  { term: 'combo_seen0', plain: 'pairs, neither gene seen', topic: 'test group', short: 'Gene pairs where neither gene was perturbed in training.' },
  { term: 'combo_seen1', plain: 'pairs, one gene seen', topic: 'test group', short: 'Gene pairs where one of the two genes was perturbed alone in training.' },
  { term: 'combo_seen2', plain: 'pairs, both genes seen', topic: 'test group', short: 'Gene pairs whose two genes were each perturbed alone in training, but not together.' },
]

const SPLITS: GlossaryEntry[] = [
  { term: 'split', plain: 'train / validation / test', topic: 'split', short: 'How the screen’s conditions are divided: most to train on, some to pick the best epoch (validation), the rest kept aside to test.' },
  { term: 'simulation', plain: 'GEARS split', topic: 'split', short: 'Holds out single genes and gene pairs with 0, 1 or 2 genes seen in training, as in the GEARS paper. Needs a screen with pairs.' },
  { term: 'single', plain: 'held-out genes', topic: 'split', short: 'Holds out 10 % of the perturbed genes for testing and 10 % for validation. The right split for a screen of single-gene perturbations.' },
  { term: 'custom', plain: 'your own split', topic: 'split', short: 'A split you give as a file (command line: --split custom --assignment file.csv).' },
  { term: 'split seed', plain: 'which genes are held out', topic: 'split', short: 'A number that decides which conditions go to training, validation and test. The same seed gives the same split, so runs can be compared.' },
]

const OPTIONS: GlossaryEntry[] = [
  { term: 'seed', plain: 'random start', topic: 'training option', short: 'A number that fixes the random start of the network, the sampling of cells and dropout, so a run can be repeated exactly.' },
  { term: 'epochs', plain: 'passes over the data', topic: 'training option', short: 'How many times training goes through all training conditions. More takes longer; the best epoch on validation is kept.' },
  { term: 'best epoch', plain: 'the epoch kept', topic: 'training option', short: 'The epoch with the lowest validation mse_de; its network is the one used for testing and predictions.' },
  { term: 'conditions per step', plain: 'batch size', topic: 'training option', short: 'How many conditions the network sees before each update. Larger is smoother but uses more memory.' },
  { term: 'worker threads', plain: 'CPU cores used', topic: 'training option', short: 'On the CPU engines (wasm, cpu), each step’s conditions are split over this many threads, one core each, and their results added up: the same training, faster. Each thread holds its own copy of the model, so memory grows with it. Left empty: one per core.' },
  { term: 'cells per condition', plain: 'cells sampled', topic: 'training option', short: 'How many cells of each condition are used in each step; “all” uses every cell (slower, steadier).' },
  { term: 'self-effect link', plain: 'own gene moves first', topic: 'training option', short: 'Tells the model that a perturbation first changes its own target gene (down for CRISPRi or knockout, up for CRISPRa). Turn off only to test its effect.' },
  { term: 'pert graph', plain: 'knowledge that places new genes', topic: 'knowledge', short: 'Which knowledge links a gene the model never saw perturbed to genes it did: GO terms (as GEARS), Reactome pathways, both, or chosen by the run.' },
  { term: 'backend', plain: 'compute engine', topic: 'training option', short: 'Which engine does the arithmetic: a GPU (tfjs-node-gpu), native CPU code (tfjs-node), WebAssembly (wasm) or plain JavaScript (cpu, slowest).' },
  { term: 'backend unavailable', plain: 'why an engine is missing', topic: 'training option', short: 'An engine is unavailable when its library is not installed or no GPU driver is found; training still runs on another engine, only slower.' },
  { term: 'checkpoint', plain: 'saved progress', topic: 'training option', short: 'The network saved after an epoch; a stopped or interrupted run can resume from it.' },
  { term: 'learning rate', plain: 'step size', topic: 'training option', short: 'How big each update of the network is; it shrinks during training.' },
  { term: 'loss', plain: 'training error', topic: 'training option', short: 'What training minimises; it should fall over the epochs. Validation scores, not the loss, decide the best epoch.' },
]

const KNOWLEDGE_AND_FLAGS: GlossaryEntry[] = [
  { term: 'condition', plain: 'what was perturbed', topic: 'flag', short: 'The gene or genes perturbed in a group of cells, e.g. STAT1 or STAT1 + IRF1; “control” means non-targeting guides. Files write STAT1+ctrl and STAT1+IRF1.' },
  { term: 'control', plain: 'unperturbed cells', topic: 'flag', short: 'Cells with non-targeting guides: the reference every change is measured from.' },
  { term: 'DE genes', plain: 'genes that changed most', topic: 'flag', short: 'Differentially expressed genes: the genes whose expression moved most between a condition’s cells and the control cells.' },
  { term: 'GO', plain: 'Gene Ontology', topic: 'knowledge', short: 'A catalogue of gene functions; genes sharing GO terms are treated as similar.' },
  { term: 'Reactome', plain: 'pathway database', topic: 'knowledge', short: 'A curated database of biological pathways and the genes in them.' },
  { term: 'seen-single', plain: 'measured in training', topic: 'flag', short: 'The gene was perturbed alone in the training data, so the model has seen its effect.' },
  { term: 'seen-combo', plain: 'pair measured in training', topic: 'flag', short: 'This exact combination was perturbed in the training data.' },
  { term: 'unseen-in-knowledge', plain: 'new gene, placed by knowledge', topic: 'flag', short: 'The gene was never perturbed in training; the model places it by GO or pathway similarity to trained genes. Trust it less when that share is low.' },
  { term: 'placedBy', plain: 'how well a new gene is placed', topic: 'flag', short: 'The share of a new gene’s GO links that lead to genes the run trained on. Below 25 % the prediction is close to a guess.' },
  { term: 'no-pair-trained', plain: 'bigger set than measured', topic: 'flag', short: 'The set has more genes than any combination in the screen, so the model extrapolates.' },
  { term: 'uncertainty', plain: 'how unsure the model is', topic: 'flag', short: 'The model’s own estimate of how far its prediction may be off; larger means less trustworthy.' },
]

const INTERACTIONS: GlossaryEntry[] = [
  { term: 'GI', plain: 'genetic interaction', topic: 'interaction', short: 'When perturbing two genes together does something different from the sum of perturbing each alone.' },
  { term: 'mag', plain: 'interaction strength', topic: 'interaction', short: 'How large the pair’s change is compared with the two singles’ fit; above √2 (the additive pair’s) suggests synergy, below suggests buffering.' },
  { term: 'corr_fit', plain: 'how additive the pair is', topic: 'interaction', short: 'How well the pair’s change is explained by a weighted sum of the two singles; low means a new effect.' },
  { term: 'dominance', plain: 'one gene dominates', topic: 'interaction', short: 'How much one gene’s effect outweighs the other’s in the pair.' },
  { term: 'illDetermined', plain: 'singles too alike', topic: 'interaction', short: 'The two single genes change the same genes in the same way, so their shares of the pair cannot be told apart: a call that rests on those shares (epistasis, additive, synergy, suppression) is not reliable; redundant and neomorphic calls do not rest on them.' },
]

export const GLOSSARY: readonly GlossaryEntry[] = [...METRICS, ...BASELINES, ...MODELS, ...GROUPS, ...SPLITS, ...OPTIONS, ...KNOWLEDGE_AND_FLAGS, ...INTERACTIONS]

const BY_TERM = new Map(GLOSSARY.map((e) => [e.term.toLowerCase(), e]))

/** The entry of a term (case-insensitive), or undefined. */
export function glossaryEntry(term: string): GlossaryEntry | undefined {
  return BY_TERM.get(term.trim().toLowerCase())
}

/** A hover line: "mse_de — error on the top-20 changed genes. Average squared …". Empty for an unknown term. */
export function explain(term: string): string {
  const e = glossaryEntry(term)
  return e ? `${e.term} — ${e.plain}. ${e.short}` : ''
}

/** Which way each run metric (and `mse_de_norm`) is better. */
export const METRIC_BETTER = Object.fromEntries(
  [...RUN_METRICS, 'mse_de_norm' as const].map((m) => [m, glossaryEntry(m)?.better ?? 'higher']),
) as Record<RunMetricName | 'mse_de_norm', 'higher' | 'lower'>

/** True when a larger value of the metric is better. */
export function higherIsBetter(metric: RunMetricName | 'mse_de_norm'): boolean {
  return METRIC_BETTER[metric] === 'higher'
}
