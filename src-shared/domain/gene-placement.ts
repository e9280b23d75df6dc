/**
 * How well a run places a gene it never saw perturbed (its GO embedding's share from genes it
 * trained on), and the pairs a pair map's scope leaves out because of it.
 */
import type { MapScope } from '../contract/channels/design'
import type { PredictedGeneFlag } from '../contract/channels/predictions'

/** Below this share of trained genes, the screen says the run predicts the gene much as any gene it cannot place (docs/results.md, Papalexi). */
export const WEAK_PLACEMENT_SHARE = 0.25

/** An unseen gene the run cannot place: less than WEAK_PLACEMENT_SHARE of its GO embedding comes from genes it trained on. */
export const isWeaklyPlaced = (flag: PredictedGeneFlag): boolean => flag.placedBy !== undefined && flag.placedBy.share < WEAK_PLACEMENT_SHARE

/** The pairs a scope leaves out, in words ("12 pairs … left out"): for estimates, errors and legends. */
export function scopeLeavesOut(scope: MapScope): string {
  if (scope === 'both') return 'without two seen genes'
  if (scope === 'placed') return 'with no seen gene or with a gene the run cannot place'
  return 'with no seen gene'
}
