/**
 * Statistics shared by the main process (metrics, GI scores, signature search) and the renderer's
 * charts, written once.
 */

/** Pearson correlation of a[idx] and b[idx] (all entries when idx is null); NaN when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>, idx: ArrayLike<number> | null = null, shiftA?: ArrayLike<number>, shiftB?: ArrayLike<number>): number {
  const n = idx ? idx.length : a.length
  if (n < 2) return NaN
  let sa = 0
  let sb = 0
  const at = (i: number) => (idx ? idx[i] : i)
  const va = (g: number) => a[g] - (shiftA ? shiftA[g] : 0)
  const vb = (g: number) => b[g] - (shiftB ? shiftB[g] : 0)
  for (let i = 0; i < n; i++) {
    sa += va(at(i))
    sb += vb(at(i))
  }
  const ma = sa / n
  const mb = sb / n
  let sab = 0
  let saa = 0
  let sbb = 0
  for (let i = 0; i < n; i++) {
    const g = at(i)
    const da = va(g) - ma
    const db = vb(g) - mb
    sab += da * db
    saa += da * da
    sbb += db * db
  }
  if (!(saa > 0) || !(sbb > 0)) return NaN
  return sab / Math.sqrt(saa * sbb)
}

/**
 * Benjamini–Hochberg adjusted p-values (statsmodels `multipletests(method='fdr_bh')`, scipy
 * `false_discovery_control`, as scanpy's `rank_genes_groups` reports `pvals_adj`): p·m/rank, made
 * monotone from the largest p down and capped at 1. NaN p-values stay NaN and are not counted in m.
 */
export function benjaminiHochberg(p: ArrayLike<number>): Float64Array {
  const out = new Float64Array(p.length).fill(NaN)
  const order: number[] = []
  for (let i = 0; i < p.length; i++) if (!Number.isNaN(p[i])) order.push(i)
  order.sort((a, b) => p[a] - p[b] || a - b)
  const m = order.length
  let running = 1
  for (let k = m - 1; k >= 0; k--) {
    const i = order[k]
    running = Math.min(running, (p[i] * m) / (k + 1))
    out[i] = running
  }
  return out
}

/** Median as numpy computes it (mean of the two middle values for an even count); NaN when empty. */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN
  const s = Float64Array.from(values).sort()
  const h = s.length >> 1
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2
}

/** Five-number summary as seaborn/GEARS draw it: quartiles, whiskers at the last point within 1.5 IQR. */
export function boxStats(values: ArrayLike<number>): [number, number, number, number, number] {
  const v = Float64Array.from(values).sort()
  const n = v.length
  if (n === 0) return [NaN, NaN, NaN, NaN, NaN]
  const q = (p: number) => {
    const pos = p * (n - 1)
    const lo = Math.floor(pos)
    const hi = Math.min(n - 1, lo + 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)
  }
  const q1 = q(0.25)
  const med = q(0.5)
  const q3 = q(0.75)
  const iqr = q3 - q1
  let lo = q1
  let hi = q3
  for (let i = 0; i < n; i++) {
    if (v[i] >= q1 - 1.5 * iqr) {
      lo = Math.min(v[i], q1)
      break
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    if (v[i] <= q3 + 1.5 * iqr) {
      hi = Math.max(v[i], q3)
      break
    }
  }
  return [lo, q1, med, q3, hi]
}

/** Indices of the `n` largest |values| (ties: lower index first). */
export function topByMagnitude(values: ArrayLike<number>, n: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i).filter((i) => Number.isFinite(values[i]))
  idx.sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || a - b)
  return idx.slice(0, n)
}
