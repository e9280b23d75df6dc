/**
 * The shortest decimal that reads back as the same float32. Model outputs are float32: printing
 * them as doubles (0.30000001192092896) claims digits that were never computed, while rounding for
 * display would lose some. Used for JSON and CSV, so files hold exactly the computed values.
 */
export function float32Number(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x
  const f = Math.fround(x)
  for (let p = 6; p < 9; p++) {
    const v = Number(f.toPrecision(p))
    if (Math.fround(v) === f) return v
  }
  return Number(f.toPrecision(9))
}

export function float32Numbers(a: ArrayLike<number>): number[] {
  const out = new Array<number>(a.length)
  for (let i = 0; i < a.length; i++) out[i] = float32Number(a[i])
  return out
}

/** A share (0–1) as a whole percentage, `8 %`: the GO placement's wording on screen and in the CLI. */
export const pct = (share: number): string => `${Math.round(share * 100)} %`
