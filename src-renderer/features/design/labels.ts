/** Display words for the Design screen (presentation only, no science). */
import type { GiScoreName, GiThresholds, GiType, MapScope, PairGene, PairGi } from '../../../src-shared/contract'
import { compareCalls, giConfidence, giVerdict, type CallComparison, type GiConfidence, type GiVerdict } from '../../../src-shared/domain/gi-call'
import { GI_TYPE_COLORS } from '../../../src-shared/charts/design-scatter'
import { SCORE_LABELS } from '../../../src-shared/charts/design-heatmap'

export { GI_TYPE_COLORS, SCORE_LABELS }
import { pct, STATUS_LABELS } from '../predict/labels'
export { fmt, fmtDate, modelLabel, pct, placementText, runOptionLabel, shortRunLabel, sourceLabel, STATUS_HELP, STATUS_LABELS } from '../predict/labels'

/** A gene's hover text in the tables: its status and, when unseen, how much of its GO embedding the run trained on. */
export function geneTitle(g: PairGene): string {
  const share = g.placedBy ? `; ${pct(g.placedBy.share)} of its GO embedding from genes the run trained on` : ''
  return `${STATUS_LABELS[g.status]}${share}`
}

/** A map's scope in the map list. */
export const SCOPE_LABELS: Record<MapScope, string> = {
  both: '2 seen genes',
  placed: '≥ 1 seen gene, all placed',
  seen: '≥ 1 seen gene',
  all: 'all, uncertainty cut',
}

/** Short column heads for the pair table; the full name is in SCORE_LABELS (the title). */
export const SCORE_SHORT: Record<GiScoreName, string> = {
  mag: 'mag',
  c1: 'c1',
  c2: 'c2',
  corr_fit: 'corr_fit',
  dcor: 'dcor',
  dcor_singles: 'dcor_singles',
  singles_cos: 'singles_cos',
  dcor_first: 'dcor_first',
  dcor_second: 'dcor_second',
  dominance: 'dominance',
  eq_contr: 'eq_contr',
}

/** What a score says about a pair, for the colour legend and the column titles. */
export const SCORE_HELP: Record<GiScoreName, string> = {
  mag: 'How strongly the pair changes expression relative to its two singles: √(c1² + c2²) of the fit ab ≈ c1·a + c2·b. An additive pair has mag = √2.',
  c1: 'Weight of the first gene’s single effect in the fit ab ≈ c1·a + c2·b (read along the row: the row gene’s weight).',
  c2: 'Weight of the second gene’s single effect in the fit ab ≈ c1·a + c2·b (read along the row: the column gene’s weight).',
  corr_fit: 'Pearson correlation of the fitted c1·a + c2·b with the pair’s change; low means the pair does something its singles do not explain (neomorphic).',
  dcor: 'Distance correlation of the two singles together with the pair’s change; high for any pair explained by its singles.',
  dcor_singles: 'Distance correlation of the two singles with each other; high when both genes do the same thing (redundant).',
  singles_cos: 'Cosine of the two singles’ changes over the fitted genes. Near ±1 the singles point the same way, so the fit cannot tell c1 from c2: mag, dominance and the call are then ill-determined (flagged ⚠).',
  dcor_first: 'Distance correlation of the first gene’s single change with the pair’s change.',
  dcor_second: 'Distance correlation of the second gene’s single change with the pair’s change.',
  dominance: 'How much one gene dominates the pair: |log10(c1/c2)|; high means epistasis.',
  eq_contr: 'How equally the two genes contribute: min(dcor_first, dcor_second) / max(…); 1 is equal.',
}

export const TYPE_LABELS: Record<GiType, string> = {
  synergy: 'synergy',
  suppression: 'suppression',
  additive: 'additive',
  neomorphic: 'neomorphic',
  redundant: 'redundant',
  epistasis: 'epistasis',
}

/** Each call's rule, with the thresholds the map was scored with, in precedence order (src-shared/domain/gi-call.ts). */
export function typeRule(type: GiType, t: GiThresholds): string {
  const lo = (1 - t.additiveBand).toFixed(2)
  const hi = (1 + t.additiveBand).toFixed(2)
  switch (type) {
    case 'synergy':
      return `combined effect above ${hi}× the sum of the singles (GI magnitude ÷ ${t.magReference.toFixed(3)}, the additive pair’s)${t.strongSynergy > 1 + t.additiveBand ? `; strong above ${t.strongSynergy}×` : ''}: the pair does more than its singles add up to`
    case 'suppression':
      return `combined effect below ${lo}× the sum of the singles: the pair does less than its singles add up to`
    case 'additive':
      return `combined effect ${lo}×–${hi}× the sum of the singles: the pair is about the sum of its singles`
    case 'neomorphic':
      return `fit correlation (corr_fit) below ${t.neomorphicCorrFit}: the pair changes genes its singles do not explain`
    case 'redundant':
      return `dCor of the pair with its singles above ${t.redundantDcor} and of the singles with each other above ${t.redundantDcorSingles}: both genes do the same thing`
    case 'epistasis':
      return `dominance above ${t.epistasisDominance}: one gene’s effect dominates the pair`
  }
}

/** A pair's one call, predicted and (when measured) observed, and how they compare: read from the shared rule. */
export interface PairCalls {
  predicted: GiVerdict | null
  observed: GiVerdict | null
  comparison: CallComparison | null
  confidence: { level: GiConfidence; reason: string }
}

export function pairCalls(p: PairGi, t: GiThresholds): PairCalls {
  const predicted = p.scores ? giVerdict(p.scores, t) : null
  const observed = p.observed?.scores ? giVerdict(p.observed.scores, t) : null
  return { predicted, observed, comparison: predicted && observed ? compareCalls(predicted, observed) : null, confidence: giConfidence(p.seen, predicted) }
}

export const CONFIDENCE_LABELS: Record<GiConfidence, string> = { high: 'high', medium: 'medium', low: 'low' }

/** `12 s`, `3 min 20 s`, `1 h 5 min`. */
export function duration(seconds: number): string {
  if (seconds < 1) return '< 1 s'
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`
  return `${Math.floor(s / 3600)} h${Math.round((s % 3600) / 60) ? ` ${Math.round((s % 3600) / 60)} min` : ''}`
}

/** A signed score with a fixed number of decimals, or — when missing. */
export function score(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—'
  return x.toFixed(digits)
}
