/**
 * What a large pair map or target search would cost, in words: the sentence every front end
 * shows before its own go-ahead instruction (the core's refusal carries only the numbers).
 */
import type { ConfirmNeeded, MapEstimate, SearchEstimate } from '../contract/channels/design'
import { scopeLeavesOut } from './gene-placement'

/** A rough time: `40 s`, `12 min`, `1.5 h`. */
function roughDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`
  return `${(seconds / 3600).toFixed(1)} h`
}

/** "500 genes: 124,750 pairs and 500 singles to predict, about 3 min on this machine." */
export function mapCostText(e: Omit<MapEstimate, 'message'>): string {
  const left = e.left ? ` (${e.left.toLocaleString('en')} ${scopeLeavesOut(e.scope)} left out)` : ''
  return `${e.genes} genes: ${e.pairs.toLocaleString('en')} pairs${left} and ${e.genes} singles to predict, about ${roughDuration(e.seconds)} on this machine.`
}

/** "200 genes: 20,100 perturbations (19,900 pairs) to predict, about 2 min on this machine." */
export function searchCostText(e: SearchEstimate): string {
  return `${e.genes} genes: ${e.conditions.toLocaleString('en')} perturbations (${e.pairs.toLocaleString('en')} pairs) to predict, about ${roughDuration(e.seconds)} on this machine.`
}

export function costText(ask: ConfirmNeeded): string {
  return ask.kind === 'map' ? mapCostText(ask.estimate) : searchCostText(ask.estimate)
}
