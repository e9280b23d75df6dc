/** Display words for the Design screen (presentation only, no science). */
import type { GiCriterion, GiScoreName, GiThresholds, GiType, MapScope, PairGene } from '../../../src-shared/contract'
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

export const CRITERION_LABELS: Record<GiCriterion, string> = {
  synergy: 'synergy',
  'strong-synergy': 'strong synergy',
  suppression: 'suppression',
  additive: 'additive',
  neomorphic: 'neomorphic',
  redundant: 'redundant',
  epistasis: 'epistasis',
}

/** Each type's rule, with the thresholds the map was scored with (model.md §9). */
export function typeRule(type: GiType, t: GiThresholds): string {
  const ref = `mag / ${t.magReference.toFixed(3)}`
  switch (type) {
    case 'synergy':
      return `${ref} > ${t.synergy} (strong above ${t.strongSynergy}): the pair does more than its singles add up to`
    case 'suppression':
      return `${ref} < ${t.suppression}: the pair does less than its singles add up to`
    case 'additive':
      return `|${ref} − 1| ≤ ${t.additiveBand}: the pair is about the sum of its singles`
    case 'neomorphic':
      return `corr_fit < ${t.neomorphicCorrFit}: the pair changes genes its singles do not explain`
    case 'redundant':
      return `dcor > ${t.redundantDcor} and dcor_singles > ${t.redundantDcorSingles}: both genes do the same thing`
    case 'epistasis':
      return `dominance > ${t.epistasisDominance}: one gene’s effect dominates the pair`
  }
}

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
