/**
 * The thresholds of the GI type calls (docs/ml-engine.md §9) and the other defaults of pair maps, target
 * searches and guide plans. The design schemas read their defaults and limits from here; the
 * calls themselves are in gi-call.ts.
 */
import type { GiThresholds } from '../contract/channels/design'

export const GI_DEFAULTS = {
  thresholds: {
    magReference: Math.SQRT2,
    synergy: 1,
    strongSynergy: 1.15,
    suppression: 1,
    additiveBand: 0.3,
    neomorphicCorrFit: 0.85,
    redundantDcor: 0.8,
    redundantDcorSingles: 0.8,
    epistasisDominance: 0.25,
    collinearSingles: 0.95,
  } satisfies GiThresholds,
  /** genes used for the fit: control mean above this (normalised log expression) */
  expressionThreshold: 0.5,
  /** random gene pairs for Theil–Sen when there are more (exact below) */
  maxSubsamples: 100_000,
  seed: 1000,
  /** pair maps: more genes than this are refused */
  maxGenes: 1000,
  /** pair maps and searches with more pairs than this need `confirm: true` */
  confirmAbovePairs: 6000,
  /** predicted genes listed per perturbation in a guide plan */
  planTopGenes: 10,
  /**
   * target search: scores within this of each other tie. The screen shows three decimals, and the
   * models' errors on held-out conditions (pearson_delta well below 1) dwarf a difference this small.
   */
  searchTieTolerance: 0.001,
} as const

/** Thresholds given in part, completed from the defaults. */
export function giThresholds(partial: Partial<GiThresholds> = {}): GiThresholds {
  return { ...GI_DEFAULTS.thresholds, ...partial }
}
