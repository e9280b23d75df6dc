/** Display words for the Predict screen (presentation only, no science). */
import { isWeaklyPlaced, TRAIN_MODELS, type GeneStatus, type PredictedGeneFlag, type PredictionSource, type RunListItem, type TrainModel } from '../../../src-shared/contract'
import { pct } from '../../../src-shared/exports/numbers'
import { fmtDate, MODEL_LABELS } from '../training/labels'

export const STATUS_LABELS: Record<GeneStatus, string> = {
  'seen-single': 'seen alone',
  'seen-combo': 'seen in a combination',
  'unseen-in-knowledge': 'unseen, in the knowledge graph',
}

export const STATUS_HELP: Record<GeneStatus, string> = {
  'seen-single': 'The run was trained on cells where this gene was perturbed on its own.',
  'seen-combo': 'The run saw this gene perturbed only together with another gene.',
  'unseen-in-knowledge': 'The run never saw this gene perturbed; the prediction comes from its place in the GO knowledge graph.',
}

export { pct }

/**
 * What ties an unseen gene to what the run learned: the trained genes among its GO partners and
 * their share of its embedding. Below WEAK_PLACEMENT_SHARE the screen says the run predicts it much
 * as any gene it cannot place (measured on Papalexi, docs/results.md), except the shift of the
 * gene's own expression when it is measured: the self-effect link learns that from every target.
 */
export function placementText(flag: PredictedGeneFlag, measured: boolean): string | null {
  const p = flag.placedBy
  if (!p) return null
  const guess = measured
    ? `Apart from the shift of its own expression, which the run learned from every target it trained on, the run predicts it much as it would any gene it cannot place.`
    : 'The run predicts it much as it would any gene it cannot place.'
  if (p.anchors.length === 0) return `${flag.gene} was not perturbed in training, nor was any of its GO partners. ${guess}`
  const named = p.anchors.map((a) => `${a.gene} ${pct(a.weight)}`).join(', ')
  const weak = isWeaklyPlaced(flag) ? ` ${guess}` : ''
  return `${flag.gene} was not perturbed in training. ${pct(p.share)} of its GO embedding comes from genes the run trained on (${named}), ${pct(1 - p.share)} from genes it never trained on.${weak}`
}

/**
 * The simulation split's test groups. "Seen" is the split's word: a gene drawn to the seen side
 * whose own conditions then went to validation is counted seen there, though training never
 * showed it (its chip says unseen), so the labels name the split.
 */
export const TEST_GROUP_LABELS: Record<string, string> = {
  unseen_single: 'group unseen_single: a gene the split held out',
  combo_seen0: 'group combo_seen0: a combination of two genes the split held out',
  combo_seen1: 'group combo_seen1: a combination with one gene from the split’s seen side',
  combo_seen2: 'group combo_seen2: a combination of two genes from the split’s seen side',
}

export function modelLabel(model: string): string {
  return MODEL_LABELS[model as keyof typeof MODEL_LABELS] ?? model
}

/** `GEARS short (GEARS) #3`, or `GEARS #3` for an unnamed run; baselines by their table name. */
export function shortRunLabel(r: Pick<RunListItem, 'id' | 'name' | 'model' | 'kind'>): string {
  const model = r.kind === 'baseline' ? `${r.model} baseline` : modelLabel(r.model)
  return r.name ? `${r.name} (${model}) #${r.id}` : `${model} #${r.id}`
}

/** The run a prediction came from, as `shortRunLabel` names it. */
export function sourceLabel(src: Pick<PredictionSource, 'runId' | 'runName' | 'model'>): string {
  return shortRunLabel({ id: src.runId, name: src.runName, model: src.model, kind: TRAIN_MODELS.includes(src.model as TrainModel) ? 'model' : 'baseline' })
}

/** What a run picker shows: model, dataset, split, seed and when it finished. */
export function runOptionLabel(r: RunListItem, datasetName: string): string {
  const seed = r.kind === 'model' ? ` · seed ${r.seed}` : ''
  return `${shortRunLabel(r)} · ${datasetName} · ${r.split.kind} split ${r.split.seed}${seed} · ${fmtDate(r.finishedAt ?? r.createdAt)}`
}

export function pathwayCount(n: number | null): string {
  if (n === null) return 'pathways: no knowledge release'
  return `${n} Reactome pathway${n === 1 ? '' : 's'}`
}

export { fmt, fmtDate } from '../training/labels'
