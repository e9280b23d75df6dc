/**
 * Ties in the target search: candidates whose ranking scores lie within a tolerance cannot be told
 * apart, so they share one rank and are listed alphabetically, never ranked against each other.
 * On Papalexi (GEARS, one epoch) the signature "STAT1 down" gives 11 of the 16 singles the run
 * saw cosine 1.000; ranking them by the last digits of a float would invent an order.
 */

export interface Scored {
  condition: string
  /** the ranking score (higher is better); NaN / −Infinity rank last and tie with each other */
  score: number
}

export interface TieGroup<T> {
  /** 1-based shared rank (competition ranking) */
  rank: number
  members: T[]
  scoreRange: [number, number]
}

const byName = (a: Scored, b: Scored) => (a.condition < b.condition ? -1 : a.condition > b.condition ? 1 : 0)

/**
 * Sorts by score (best first) and groups candidates within `tolerance` of the group's best score
 * (so a group spans at most `tolerance`, it does not chain). Each group's members are alphabetical.
 * Candidates with no finite score form one last group.
 */
export function rankWithTies<T extends Scored>(items: readonly T[], tolerance: number): TieGroup<T>[] {
  const finite = items.filter((h) => Number.isFinite(h.score)).sort((a, b) => b.score - a.score || byName(a, b))
  const rest = items.filter((h) => !Number.isFinite(h.score)).sort(byName)
  const groups: TieGroup<T>[] = []
  let rank = 1
  for (let i = 0; i < finite.length; ) {
    const top = finite[i].score
    let j = i + 1
    while (j < finite.length && top - finite[j].score <= tolerance) j++
    const members = finite.slice(i, j)
    groups.push({ rank, members: members.sort(byName), scoreRange: [finite[j - 1].score, top] })
    rank += j - i
    i = j
  }
  if (rest.length) groups.push({ rank, members: rest, scoreRange: [NaN, NaN] })
  return groups
}

/**
 * The groups that make up the top `top` candidates; the group that straddles the cut is kept
 * whole (cutting a tie would pick some of its members over the others).
 */
export function topGroups<T>(groups: TieGroup<T>[], top: number): TieGroup<T>[] {
  const out: TieGroup<T>[] = []
  let n = 0
  for (const g of groups) {
    if (n >= top) break
    out.push(g)
    n += g.members.length
  }
  return out
}

/**
 * Whether two predicted changes are the same on the genes both were scored on: every value equal
 * within 1e-6 of the larger magnitude (float32 predictions of the same input agree to ~1e-7).
 */
export function samePrediction(a: ArrayLike<number>, b: ArrayLike<number>, skip: (k: number) => boolean): boolean {
  let scale = 0
  for (let k = 0; k < a.length; k++) if (!skip(k)) scale = Math.max(scale, Math.abs(a[k]), Math.abs(b[k]))
  const tol = 1e-6 * Math.max(scale, 1e-12)
  for (let k = 0; k < a.length; k++) if (!skip(k) && Math.abs(a[k] - b[k]) > tol) return false
  return true
}
