/**
 * The verdict of a run (docs/ml-engine.md §11.5): per test group, how the model's `mse_de` compares with the
 * best baseline's, with a paired bootstrap over conditions, said in plain words.
 *
 * Per group: the paired conditions of a baseline are those where the model and that baseline both
 * have a finite `mse_de`. The best baseline is the one with the lowest mean over the conditions
 * the model has (ties: the first in insertion order; baselines with no paired condition are
 * skipped). Means over different conditions do not compare, so a baseline that lacks some of the
 * model's conditions competes only when no baseline covers more: the candidates are the baselines
 * with the most paired conditions (all of the model's, in the usual case).
 * ratio = mean(model) / mean(best) over the best baseline's paired conditions; [lo, hi] is the 95 %
 * percentile interval of the same ratio of means over `draws` resamples of those conditions with
 * replacement (one draw of conditions for both sides). The call: `better` when hi < 1 − 0.005, `worse`
 * when lo > 1 + 0.005, else `no-better`. A group with fewer than two paired conditions is `no-better`
 * with lo = hi = ratio and says so ("too few conditions to tell"); with no baseline value at all,
 * `best_baseline` is '' and ratio is NaN.
 *
 * Pure (no Node imports): shared by the main process (run report) and the renderer.
 */

import { mulberry32 } from './random'

export type VerdictCall = 'better' | 'no-better' | 'worse'
/** Ratios within this of 1 at both ends of the interval are no difference (the texts round to whole percents). */
export const NEGLIGIBLE = 0.005

export interface GroupVerdict {
  best_baseline: string
  ratio: number
  lo: number
  hi: number
  call: VerdictCall
  /** paired conditions the verdict rests on */
  n: number
  text: string
}

export interface VerdictInput {
  /** per-condition mse_de of the model (lower is better) */
  model: Record<string, number>
  /** baseline name → per-condition mse_de */
  baselines: Record<string, Record<string, number>>
  /** condition → test group (e.g. 'unseen_single', 'combo_seen2'); 'overall' is computed over all conditions */
  groups: Record<string, string>
  /** bootstrap resamples (default 2000) */
  draws?: number
  /** PRNG seed (default 1); every group starts from it, so a group's interval does not depend on the others */
  seed?: number
}

export const OVERALL_GROUP = 'overall'

/** Said when model selection shrinks the network's residual to nothing (docs/ml-engine.md §11.3, α = 0). */
export const ADDS_NOTHING_TEXT = 'The network adds nothing on this screen; predictions are the prior.'

const DEFAULT_DRAWS = 2000
const DEFAULT_SEED = 1


/** Code-unit order: the verdict does not depend on the order the caller filled its records in. */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** a / b for non-negative means: 1 when both are 0, Infinity when only b is. */
function ratioOf(a: number, b: number): number {
  if (b === 0) return a === 0 ? 1 : Infinity
  return a / b
}

/** Linear-interpolation quantile (numpy's default) of sorted values. */
function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  if (lo === hi) return sorted[lo]
  const a = sorted[lo]
  const b = sorted[hi]
  if (a === b) return a // also Infinity
  return a + (b - a) * (pos - lo)
}

function groupVerdict(conditions: string[], input: VerdictInput): GroupVerdict {
  const { model, baselines } = input
  const modelConds = conditions.filter((c) => Number.isFinite(model[c]))

  // Best baseline: most paired conditions, then lowest mean over them, then insertion order.
  let best = ''
  let bestMean = Infinity
  let bestConds: string[] = []
  for (const [name, values] of Object.entries(baselines)) {
    const paired = modelConds.filter((c) => Number.isFinite(values[c]))
    if (paired.length === 0 || paired.length < bestConds.length) continue
    let s = 0
    for (const c of paired) s += values[c]
    const mean = s / paired.length
    if (best === '' || paired.length > bestConds.length || mean < bestMean) {
      best = name
      bestMean = mean
      bestConds = paired
    }
  }

  const n = bestConds.length
  if (n === 0) return finish({ best_baseline: '', ratio: NaN, lo: NaN, hi: NaN, call: 'no-better', n: 0 })
  const m = Float64Array.from(bestConds, (c) => model[c])
  const b = Float64Array.from(bestConds, (c) => baselines[best][c])
  let sm = 0
  let sb = 0
  for (let i = 0; i < n; i++) {
    sm += m[i]
    sb += b[i]
  }
  const ratio = ratioOf(sm / n, sb / n)
  if (n < 2) return finish({ best_baseline: best, ratio, lo: ratio, hi: ratio, call: 'no-better', n })

  const draws = Math.max(1, Math.floor(input.draws ?? DEFAULT_DRAWS))
  const rand = mulberry32(input.seed ?? DEFAULT_SEED)
  const ratios = new Float64Array(draws)
  for (let d = 0; d < draws; d++) {
    let dm = 0
    let db = 0
    for (let i = 0; i < n; i++) {
      const j = Math.floor(rand() * n)
      dm += m[j]
      db += b[j]
    }
    ratios[d] = ratioOf(dm, db)
  }
  ratios.sort()
  const lo = quantileSorted(ratios, 0.025)
  const hi = quantileSorted(ratios, 0.975)
  // A difference the texts would print as 0 % (under half a percent at the interval's far end) is
  // rounding, not a finding: a model equal to its baseline up to float32 read "worse by 0 % [0, 0]".
  const call: VerdictCall = hi < 1 - NEGLIGIBLE ? 'better' : lo > 1 + NEGLIGIBLE ? 'worse' : 'no-better'
  return finish({ best_baseline: best, ratio, lo, hi, call, n })
}

function finish(v: Omit<GroupVerdict, 'text'>): GroupVerdict {
  const out = { ...v, text: '' }
  out.text = verdictText(out)
  return out
}

/**
 * Per test group and overall, the model against the best baseline. Keys: 'overall' (every
 * condition of the model) and each group named in `groups`, also one without any value (its
 * verdict then says there are too few conditions).
 */
export function runVerdict(input: VerdictInput): Record<string, GroupVerdict> {
  const byGroup = new Map<string, string[]>()
  for (const [condition, group] of Object.entries(input.groups)) {
    if (!byGroup.has(group)) byGroup.set(group, [])
    byGroup.get(group)!.push(condition)
  }
  const out: Record<string, GroupVerdict> = {}
  out[OVERALL_GROUP] = groupVerdict(Object.keys(input.model).sort(byCodeUnit), input)
  for (const group of [...byGroup.keys()].sort(byCodeUnit)) {
    if (group === OVERALL_GROUP) continue
    out[group] = groupVerdict(byGroup.get(group)!.sort(byCodeUnit), input)
  }
  return out
}

/** Whole percentages; `${-0}` already prints "0". */
const pct = (x: number) => Math.round(x * 100)
const fix2 = (x: number) => x.toFixed(2)

/**
 * The verdict in plain words: "better than train_mean_self by 12 % [4, 19]",
 * "no better than additive (ratio 0.98 [0.91, 1.06])", "worse than additive by 35 % [20, 51]",
 * or "too few conditions to tell (n = 1)".
 */
export function verdictText(v: GroupVerdict): string {
  if (v.n < 2 || v.best_baseline === '') return `too few conditions to tell (n = ${v.n})`
  switch (v.call) {
    case 'better':
      return `better than ${v.best_baseline} by ${pct(1 - v.ratio)} % [${pct(1 - v.hi)}, ${pct(1 - v.lo)}]`
    case 'worse':
      return `worse than ${v.best_baseline} by ${pct(v.ratio - 1)} % [${pct(v.lo - 1)}, ${pct(v.hi - 1)}]`
    default:
      return `no better than ${v.best_baseline} (ratio ${fix2(v.ratio)} [${fix2(v.lo)}, ${fix2(v.hi)}])`
  }
}
