/**
 * How the app names a project's runs on screen: the user's model runs numbered Run 1, Run 2, … in
 * the order they were started, and each baseline attached to the model run it was fitted for.
 * Run ids stay what the command line and files use.
 */
import type { RunListItem } from '../contract'

export type RunKey = Pick<RunListItem, 'id' | 'kind' | 'datasetId' | 'split'>

/**
 * The user's runs numbered per project: Run 1, Run 2, … in the order they were started. Run ids
 * are global and the baselines fitted first take ids too, so a project's first model would
 * otherwise read "run #7"; the command line keeps the ids.
 */
export function numberRuns(runs: readonly RunKey[]): Map<number, number> {
  const models = runs.filter((r) => r.kind === 'model').sort((a, b) => a.id - b.id)
  return new Map(models.map((r, i) => [r.id, i + 1]))
}

/**
 * The model run each baseline belongs to: the next model run of the same dataset and split (the
 * one it was fitted for), else the last one before it. Unclaimed baselines map to nothing.
 */
export function baselineOwners(runs: readonly RunKey[]): Map<number, number> {
  const models = runs.filter((r) => r.kind === 'model').sort((a, b) => a.id - b.id)
  const sameSplit = (a: RunKey, b: RunKey) => a.datasetId === b.datasetId && a.split.kind === b.split.kind && a.split.seed === b.split.seed
  const owners = new Map<number, number>()
  for (const b of runs) {
    if (b.kind !== 'baseline') continue
    const owner = models.find((m) => m.id > b.id && sameSplit(m, b)) ?? [...models].reverse().find((m) => sameSplit(m, b))
    if (owner) owners.set(b.id, owner.id)
  }
  return owners
}
