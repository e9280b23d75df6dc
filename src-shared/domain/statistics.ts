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
