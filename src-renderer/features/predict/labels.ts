/** Display words for the Predict screen (presentation only, no science). */
import {
  TRAIN_MODELS,
  type CompareGroup,
  type ConditionPrediction,
  type GeneStatus,
  type ModelPrior,
  type PredictedGeneFlag,
  type PredictionSource,
  type RunListItem,
  type RunVerdict,
  type TrainModel,
} from '../../../src-shared/contract'
import { isWeaklyPlaced } from '../../../src-shared/domain/gene-placement'
import { ADDS_NOTHING_TEXT } from '../../../src-shared/domain/verdict'
import { pct } from '../../../src-shared/exports/numbers'
import { useRunNumbersStore } from '../projects/run-numbers'
import { fmtDate, GROUP_PLAIN, MODEL_LABELS, priorPhrase } from '../training/labels'

export const STATUS_LABELS: Record<GeneStatus, string> = {
  'seen-single': 'seen alone',
  'seen-combo': 'seen in a combination',
  'unseen-in-knowledge': 'unseen, in the knowledge graph',
}

export const STATUS_HELP: Record<GeneStatus, string> = {
  'seen-single': 'The run was trained on cells where this gene was perturbed on its own.',
  'seen-combo': 'The run saw this gene perturbed only together with another gene.',
  'unseen-in-knowledge': 'The run never saw this gene perturbed; the prediction comes from the genes it is linked to in the knowledge graphs (Reactome pathways, GO).',
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

/**
 * `GEARS short (GEARS) · Run 2`, or `GEARS · Run 2` for an unnamed run, numbered per project as on
 * the Training screen; baselines by their table name. The run id stands in until the numbers load.
 */
export function shortRunLabel(r: Pick<RunListItem, 'id' | 'name' | 'model' | 'kind'>): string {
  const which = useRunNumbersStore().label(r.id)
  if (r.kind === 'baseline') return which ? `${r.model} ${which}` : `${r.model} baseline #${r.id}`
  const model = modelLabel(r.model)
  const tag = which ? ` · ${which}` : ` #${r.id}`
  return r.name ? `${r.name} (${model})${tag}` : `${model}${tag}`
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

/**
 * Where a prediction comes from, in plain words (contract `PredictionOrigin`): a bold head and
 * the sentence after it. Null for predictions stored before the origin was recorded.
 */
export function originText(c: ConditionPrediction, run: { verdict: RunVerdict | null; prior: ModelPrior | undefined } | null): { head: string; text: string } | null {
  const single = c.flags.length === 1
  switch (c.origin) {
    case 'measured':
      return { head: 'Measured', text: 'this gene was measured alone in the screen, so the run returns that measurement.' }
    case 'prior': {
      const what = single
        ? 'the average change of the trained genes that share its pathways and GO terms (the run did not train on this gene alone).'
        : 'the sum of each gene’s change alone: measured where the run trained on it, else estimated from the trained genes that share its pathways and GO terms.'
      const v = run?.verdict
      const kept = single ? v?.alpha : v?.alphaPairs
      const why = !run
        ? ''
        : v?.addsNothing
          ? ` ${ADDS_NOTHING_TEXT}`
          : kept === 0
            ? ` The run keeps none of the network’s correction for ${single ? 'single genes' : 'pairs'} (α = 0, chosen on validation), so this is the prior alone.`
            : ' The network cannot place a gene of this set, so the prior stands alone.'
      return { head: 'Knowledge prior', text: `${what}${why}` }
    }
    case 'model':
      return run && run.prior !== 'knowledge'
        ? { head: 'Model', text: 'the network predicts the whole change, as in the published model.' }
        : { head: 'Model', text: 'the knowledge prior plus the network’s correction, learned on this screen.' }
    case 'baseline':
      return { head: 'Baseline', text: 'a baseline fitted on this screen, without a network.' }
    default:
      return null
  }
}

/** "On genes it never saw perturbed the model beat the prior by 12 % [4, 19]." — or why there is no such line. */
export function priorVerdictLine(group: CompareGroup, verdict: RunVerdict | null): string | null {
  const vs = verdict?.vsPrior
  if (!vs) return null
  const v = vs[group]
  if (!v) return `The run’s test set had no ${GROUP_PLAIN[group]}, so how the model compares with the prior on them is not known.`
  return `On ${GROUP_PLAIN[group]}, the model ${priorPhrase(v)}.`
}

/** The notice of a set larger than any the screen measured. */
export function composedNotice(size: number): string {
  return size === 2
    ? 'No pair was measured in this screen: this pair is composed from single perturbations.'
    : `No set of ${size} genes was measured in this screen: this set is composed from smaller perturbations.`
}
