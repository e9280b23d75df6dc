/**
 * Pure pieces the pair map, the target search and the guide plan share: GI settings, a pair's
 * scores on the fit's genes, measured conditions scored like predicted ones, and how a
 * prediction asked for some columns is read back. No I/O here.
 */
import { type GeneStatus, type GiScores, type GiSettings, type GiThresholds, type PairGi, type PredictionSource } from '../../../src-shared/contract'
import { formatCondition } from '../../../src-shared/domain/conditions'
import { callGi } from '../../../src-shared/domain/gi-call'
import { GI_DEFAULTS, giThresholds } from '../../../src-shared/domain/gi-thresholds'
import { giScores } from '../../ml/gi/gi-scores'
import type { PreparedDataset } from '../datasets/prepared-dataset'

export interface SettingsInput {
  thresholds?: Partial<GiThresholds>
  expressionThreshold?: number
}

export const SEEN = (s: GeneStatus) => s !== 'unseen-in-knowledge'
/** seven significant digits: far beyond what the fit resolves, a third of the JSON */
export const r7 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(7)) : x)

export function settingsOf(input: SettingsInput): GiSettings {
  return {
    thresholds: giThresholds(input.thresholds),
    expressionThreshold: input.expressionThreshold ?? GI_DEFAULTS.expressionThreshold,
    maxSubsamples: GI_DEFAULTS.maxSubsamples,
    seed: GI_DEFAULTS.seed,
  }
}

function rounded(s: GiScores): GiScores {
  const out = { ...s }
  for (const k of Object.keys(out) as (keyof GiScores)[]) out[k] = r7(out[k])
  return out
}

/** Scores of one pair on the fit genes, or why there are none. */
export function scorePair(a: Float64Array, b: Float64Array, ab: Float64Array, settings: GiSettings): { scores: GiScores | null; note?: string } {
  if (a.length < 3) return { scores: null, note: `only ${a.length} genes have a control mean above ${settings.expressionThreshold}; lower the expression threshold` }
  const s = giScores(a, b, ab, settings)
  if (!Number.isFinite(s.mag)) return { scores: null, note: 'the singles predict no change on the fitted genes, so there is nothing to fit' }
  return { scores: rounded(s) }
}

/** The fit's genes less a perturbation's own (its own genes' shift says nothing of the interaction). */
export function fitLessOwn(base: Int32Array, geneIndex: Map<string, number>, names: string[]): Int32Array {
  const own = new Set(names.map((n) => geneIndex.get(n)).filter((i): i is number => i !== undefined))
  return own.size ? base.filter((g) => !own.has(g)) : base
}

/** Mean predicted SD of one row over the columns idx. */
export function meanSd(variance: Float32Array, idx: Int32Array, row: number, G: number): number {
  if (idx.length === 0) return NaN
  let s = 0
  for (let k = 0; k < idx.length; k++) s += Math.sqrt(Math.max(0, variance[row * G + idx[k]]))
  return s / idx.length
}

/** Gene index → its position among `columns` (how a prediction asked for those columns is read back). */
export function positionsOf(columns: Int32Array): Map<number, number> {
  return new Map(Array.from(columns, (g, k) => [g, k]))
}

/** The source without the per-gene arrays (the map keeps its own gene list). */
export function slimSource(s: PredictionSource): PredictionSource {
  return { ...s, genes: [], controlMean: [] }
}

export type ObservedScorer = ReturnType<typeof observedScorer>

/** Observed changes over control of measured conditions, on a given gene axis. */
export function observedScorer(ds: PreparedDataset, axis: string[]) {
  const G = ds.genes.symbol.length
  const pos = new Map(ds.genes.symbol.map((g, i) => [g, i]))
  const map = Int32Array.from(axis, (g) => pos.get(g) ?? -1)
  const rows = new Map(ds.conditions.map((c, i) => [c.condition, i]))
  const change = (row: number, idx: Int32Array) => {
    const out = new Float64Array(idx.length)
    for (let k = 0; k < idx.length; k++) {
      const g = map[idx[k]]
      out[k] = g < 0 ? 0 : ds.conditionMeans[row * G + g] - ds.controlMean[g]
    }
    return out
  }
  return {
    has: (condition: string) => rows.has(condition),
    /** null when the dataset did not measure the pair and both its singles */
    pair(condition: string, idx: Int32Array, settings: GiSettings): { scores: GiScores | null; call: PairGi['call']; note?: string } | null {
      const ab = rows.get(condition)
      const genes = condition.split('+')
      const a = rows.get(formatCondition([genes[0]]))
      const b = rows.get(formatCondition([genes[1]]))
      if (ab === undefined || a === undefined || b === undefined) return null
      const fit = scorePair(change(a, idx), change(b, idx), change(ab, idx), settings)
      return { scores: fit.scores, call: fit.scores ? callGi(fit.scores, settings.thresholds) : null, ...(fit.note ? { note: fit.note } : {}) }
    },
  }
}
