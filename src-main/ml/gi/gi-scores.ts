/**
 * Genetic-interaction scores of a pair (docs/ml-engine.md §9, Norman et al. 2019, as GEARS' `get_coeffs`
 * computes them): ab ≈ c1·a + c2·b fitted by Theil–Sen without intercept, then magnitude,
 * fit correlation, distance correlations, dominance and equality of contribution.
 *
 * Theil–Sen as scikit-learn's `TheilSenRegressor(fit_intercept=False)` with GEARS' settings: with
 * two features every subset is two genes, solved exactly (least squares, minimum norm when the
 * 2×2 system is singular, as LAPACK's gelss); all C(n, 2) subsets when there are at most
 * `maxSubsamples` of them, else that many random pairs of distinct genes (seeded); the
 * coefficients are the spatial (L1) median of the solutions (modified Weiszfeld, Vardi & Zhang).
 *
 * Distance correlation as Székely defines it (V-statistics, double-centred distance matrices),
 * computed in one pass over gene pairs without storing a matrix: Σ A_ij B_ij =
 * S_ab − (2/n) Σ_i r_a,i r_b,i + R_a R_b / n², with S_ab = Σ_ij |a_i − a_j||b_i − b_j| and row sums r.
 */
import type { GiScores, GiSettings } from '../../../src-shared/contract'
import { GI_DEFAULTS, giThresholds } from '../../../src-shared/domain/gi-thresholds'
import { pearson } from '../../../src-shared/domain/statistics'
import { mulberry32 } from '../random'

type Vec = ArrayLike<number>

export interface TheilSenOptions {
  maxSubsamples?: number
  seed?: number
  /** spatial median: stop when a step moves less than this (relative to the point's size) */
  tol?: number
  maxIter?: number
}

export interface TheilSenFit {
  c1: number
  c2: number
  /** every pair of genes was used */
  exact: boolean
  subsamples: number
  iterations: number
}

/** Exact (least squares, min-norm) solution of [a_i b_i; a_j b_j]·c = [y_i; y_j], written into out[k], out[k+1]. */
function solvePair(ai: number, bi: number, yi: number, aj: number, bj: number, yj: number, out: Float64Array, k: number): void {
  const det = ai * bj - aj * bi
  const f = ai * ai + bi * bi + aj * aj + bj * bj
  // gelss treats singular values below machine epsilon × the largest as zero; s1·s2 = |det|, s1² + s2² = f.
  if (Math.abs(det) > 2.220446049250313e-16 * f) {
    out[k] = (yi * bj - yj * bi) / det
    out[k + 1] = (ai * yj - aj * yi) / det
  } else if (f > 0) {
    // rank 1: M⁺ = Mᵀ / ‖M‖²_F
    out[k] = (ai * yi + aj * yj) / f
    out[k + 1] = (bi * yi + bj * yj) / f
  } else {
    out[k] = 0
    out[k + 1] = 0
  }
}

/** The two-gene solutions Theil–Sen takes the spatial median of, interleaved (c1, c2). */
export function pairSolutions(a: Vec, b: Vec, y: Vec, maxSubsamples: number = GI_DEFAULTS.maxSubsamples, seed: number = GI_DEFAULTS.seed): { points: Float64Array; exact: boolean } {
  const n = a.length
  const total = (n * (n - 1)) / 2
  if (total <= maxSubsamples) {
    const points = new Float64Array(total * 2)
    let k = 0
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++, k += 2) solvePair(a[i], b[i], y[i], a[j], b[j], y[j], points, k)
    }
    return { points, exact: true }
  }
  const m = Math.max(1, Math.floor(maxSubsamples))
  const points = new Float64Array(m * 2)
  const rand = mulberry32(seed)
  for (let s = 0; s < m; s++) {
    const i = Math.floor(rand() * n)
    let j = Math.floor(rand() * (n - 1))
    if (j >= i) j++
    solvePair(a[i], b[i], y[i], a[j], b[j], y[j], points, 2 * s)
  }
  return { points, exact: false }
}

/** Median by quickselect (O(n), no full sort of 10⁵ values per pair); permutes `v`. */
function median(v: Float64Array): number {
  const n = v.length
  const kth = (k: number): number => {
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const pivot = v[(lo + hi) >>> 1]
      let i = lo
      let j = hi
      while (i <= j) {
        while (v[i] < pivot) i++
        while (v[j] > pivot) j--
        if (i <= j) {
          const t = v[i]
          v[i] = v[j]
          v[j] = t
          i++
          j--
        }
      }
      if (k <= j) hi = j
      else if (k >= i) lo = i
      else return v[k]
    }
    return v[k]
  }
  if (n % 2) return kth((n - 1) / 2)
  const hi = kth(n / 2)
  let lo = -Infinity
  for (let i = 0; i < n / 2; i++) if (v[i] > lo) lo = v[i]
  return (lo + hi) / 2
}

/** f, ∇f, the Hessian and the Weiszfeld target at (px, py), written to out (a plain loop V8 optimises well). */
function evaluatePoint(xs: Float64Array, ys: Float64Array, px: number, py: number, out: Float64Array): void {
  let f = 0
  let gx = 0
  let gy = 0
  let hxx = 0
  let hxy = 0
  let hyy = 0
  let wSum = 0
  let wx = 0
  let wy = 0
  let coincide = 0
  const eps = 1e-12 * (1 + Math.abs(px) + Math.abs(py))
  const m = xs.length
  for (let s = 0; s < m; s++) {
    const dx = xs[s] - px
    const dy = ys[s] - py
    const d2 = dx * dx + dy * dy
    const d = Math.sqrt(d2)
    if (d < eps) {
      coincide++
      continue
    }
    const w = 1 / d
    const w3 = w * w * w
    f += d
    gx -= dx * w
    gy -= dy * w
    hxx += w - dx * dx * w3
    hyy += w - dy * dy * w3
    hxy -= dx * dy * w3
    wSum += w
    wx += xs[s] * w
    wy += ys[s] * w
  }
  out[0] = f
  out[1] = gx
  out[2] = gy
  out[3] = hxx
  out[4] = hxy
  out[5] = hyy
  out[6] = wSum > 0 ? wx / wSum : px
  out[7] = wSum > 0 ? wy / wSum : py
  out[8] = coincide
}

/**
 * The spatial median of 2-D points (interleaved x, y): the point minimising the sum of Euclidean
 * distances f. Newton's method on f (its gradient and 2×2 Hessian cost one pass, like a Weiszfeld
 * step, but it converges in a handful of passes instead of hundreds), safeguarded: a step that
 * does not lower f is replaced by the Weiszfeld step (which always does, Vardi & Zhang's form at
 * a data point). Starts from a coordinate-wise median (robust to the huge solutions of nearly
 * singular pairs); the minimiser is the same from any start.
 */
export function spatialMedian2(points: Float64Array, tol = 1e-10, maxIter = 1000): { x: number; y: number; iterations: number } {
  const m = points.length / 2
  if (m === 0) return { x: NaN, y: NaN, iterations: 0 }
  const xs = new Float64Array(m)
  const ys = new Float64Array(m)
  for (let s = 0; s < m; s++) {
    xs[s] = points[2 * s]
    ys[s] = points[2 * s + 1]
  }
  // The start only needs to be robust, not exact: the coordinate-wise median of ≤ 4,096 strided points.
  const stride = Math.max(1, Math.floor(m / 4096))
  const sx = new Float64Array(Math.ceil(m / stride))
  const sy = new Float64Array(sx.length)
  for (let s = 0, k = 0; s < m && k < sx.length; s += stride, k++) {
    sx[k] = xs[s]
    sy[k] = ys[s]
  }
  let x = median(sx)
  let y = median(sy)
  if (m === 1) return { x: xs[0], y: ys[0], iterations: 0 }

  // One pass at (px, py): f, the gradient, the Hessian, and the Weiszfeld / Vardi–Zhang target.
  const out = new Float64Array(9)
  const at = { f: 0, gx: 0, gy: 0, hxx: 0, hxy: 0, hyy: 0, wx: 0, wy: 0, coincide: 0 }
  const evaluate = (px: number, py: number) => {
    evaluatePoint(xs, ys, px, py, out)
    at.f = out[0]
    at.gx = out[1]
    at.gy = out[2]
    at.hxx = out[3]
    at.hxy = out[4]
    at.hyy = out[5]
    at.wx = out[6]
    at.wy = out[7]
    at.coincide = out[8]
  }

  evaluate(x, y)
  let it = 0
  for (; it < maxIter; it++) {
    // At a data point: it is the median when the others pull less than its own weight.
    const pull = Math.hypot(at.gx, at.gy)
    if (at.coincide > 0 && pull <= at.coincide) break
    const f0 = at.f
    const k = at.coincide > 0 ? Math.min(1, at.coincide / pull) : 0
    const wx = (1 - k) * at.wx + k * x
    const wy = (1 - k) * at.wy + k * y
    const det = at.hxx * at.hyy - at.hxy * at.hxy
    let nx = wx
    let ny = wy
    if (at.coincide === 0 && det > 0) {
      const tx = x - (at.hyy * at.gx - at.hxy * at.gy) / det
      const ty = y - (at.hxx * at.gy - at.hxy * at.gx) / det
      evaluate(tx, ty)
      if (at.f <= f0) {
        nx = tx
        ny = ty
      } else evaluate(wx, wy)
    } else evaluate(wx, wy)
    const step = Math.abs(nx - x) + Math.abs(ny - y)
    x = nx
    y = ny
    if (step <= tol * (1 + Math.abs(x) + Math.abs(y))) {
      it++
      break
    }
  }
  return { x, y, iterations: it }
}

export function theilSenNoIntercept(a: Vec, b: Vec, y: Vec, options: TheilSenOptions = {}): TheilSenFit {
  if (a.length !== b.length || a.length !== y.length) throw new Error(`Theil–Sen needs vectors of one length (got ${a.length}, ${b.length}, ${y.length})`)
  const { points, exact } = pairSolutions(a, b, y, options.maxSubsamples ?? GI_DEFAULTS.maxSubsamples, options.seed ?? GI_DEFAULTS.seed)
  const med = spatialMedian2(points, options.tol, options.maxIter)
  return { c1: med.x, c2: med.y, exact, subsamples: points.length / 2, iterations: med.iterations }
}

export interface DistanceCorrelations {
  /** dCor([a, b], ab) */
  dcor: number
  /** dCor(a, b) */
  dcor_singles: number
  /** dCor(a, ab) */
  dcor_first: number
  /** dCor(b, ab) */
  dcor_second: number
}

const dcorFrom = (cov: number, varX: number, varY: number) => (varX > 0 && varY > 0 ? Math.sqrt(Math.max(0, cov) / Math.sqrt(varX * varY)) : 0)

/** The four distance correlations of a pair in one O(n²) pass, no matrix stored. */
export function pairDistanceCorrelations(a: Vec, b: Vec, y: Vec): DistanceCorrelations {
  const n = a.length
  const ra = new Float64Array(n)
  const rb = new Float64Array(n)
  const ry = new Float64Array(n)
  const rs = new Float64Array(n)
  let Saa = 0
  let Sbb = 0
  let Syy = 0
  let Sab = 0
  let Say = 0
  let Sby = 0
  let Ssy = 0
  for (let i = 0; i < n; i++) {
    const ai = a[i]
    const bi = b[i]
    const yi = y[i]
    let rai = 0
    let rbi = 0
    let ryi = 0
    let rsi = 0
    for (let j = i + 1; j < n; j++) {
      const da = Math.abs(ai - a[j])
      const db = Math.abs(bi - b[j])
      const dy = Math.abs(yi - y[j])
      const ds = Math.sqrt(da * da + db * db)
      rai += da
      rbi += db
      ryi += dy
      rsi += ds
      ra[j] += da
      rb[j] += db
      ry[j] += dy
      rs[j] += ds
      Saa += da * da
      Sbb += db * db
      Syy += dy * dy
      Sab += da * db
      Say += da * dy
      Sby += db * dy
      Ssy += ds * dy
    }
    ra[i] += rai
    rb[i] += rbi
    ry[i] += ryi
    rs[i] += rsi
  }
  // Σ over ordered pairs is twice the sum over i < j; Σ_ij d_s² = Σ da² + db².
  const S = { aa: 2 * Saa, bb: 2 * Sbb, yy: 2 * Syy, ab: 2 * Sab, ay: 2 * Say, by: 2 * Sby, sy: 2 * Ssy, ss: 2 * (Saa + Sbb) }
  const sum = (r: Float64Array) => r.reduce((t, v) => t + v, 0)
  const dot = (u: Float64Array, v: Float64Array) => {
    let t = 0
    for (let i = 0; i < n; i++) t += u[i] * v[i]
    return t
  }
  const R = { a: sum(ra), b: sum(rb), y: sum(ry), s: sum(rs) }
  const centred = (Sxy: number, rx: Float64Array, ryv: Float64Array, Rx: number, Ry: number) => Sxy - (2 / n) * dot(rx, ryv) + (Rx * Ry) / (n * n)
  const vA = centred(S.aa, ra, ra, R.a, R.a)
  const vB = centred(S.bb, rb, rb, R.b, R.b)
  const vY = centred(S.yy, ry, ry, R.y, R.y)
  const vS = centred(S.ss, rs, rs, R.s, R.s)
  return {
    dcor: dcorFrom(centred(S.sy, rs, ry, R.s, R.y), vS, vY),
    dcor_singles: dcorFrom(centred(S.ab, ra, rb, R.a, R.b), vA, vB),
    dcor_first: dcorFrom(centred(S.ay, ra, ry, R.a, R.y), vA, vY),
    dcor_second: dcorFrom(centred(S.by, rb, ry, R.b, R.y), vB, vY),
  }
}

/** GI scores of one pair from the changes over control of A, B and AB on the same genes. */
export function giScores(a: Vec, b: Vec, ab: Vec, settings: Partial<GiSettings> = {}): GiScores {
  const n = a.length
  if (n < 3) throw new Error(`GI scores need at least 3 genes in the fit (got ${n})`)
  const ref = giThresholds(settings.thresholds).magReference
  const fit = theilSenNoIntercept(a, b, ab, { maxSubsamples: settings.maxSubsamples, seed: settings.seed })
  const { c1, c2 } = fit
  const mag = Math.sqrt(c1 * c1 + c2 * c2)
  const fitted = new Float64Array(n)
  for (let i = 0; i < n; i++) fitted[i] = c1 * a[i] + c2 * b[i]
  const d = pairDistanceCorrelations(a, b, ab)
  const hi = Math.max(d.dcor_first, d.dcor_second)
  let ss = 0
  let aa = 0
  let bb = 0
  for (let i = 0; i < n; i++) {
    ss += a[i] * b[i]
    aa += a[i] * a[i]
    bb += b[i] * b[i]
  }
  return {
    c1,
    c2,
    mag,
    magRelative: mag / ref,
    corr_fit: pearson(fitted, ab),
    ...d,
    // cosine, not Pearson: the fit has no intercept, so this is what decides whether c1 and c2 can be told apart
    singles_cos: aa > 0 && bb > 0 ? ss / Math.sqrt(aa * bb) : 0,
    // |c1/c2| so opposite signs still give a dominance (GEARS' log10 of a negative ratio is NaN)
    dominance: Math.abs(Math.log10(Math.abs(c1 / c2))),
    eq_contr: hi > 0 ? Math.min(d.dcor_first, d.dcor_second) / hi : 0,
    genes: n,
  }
}

/** Genes of the fit: control mean above the threshold, the pair's own genes left out (their self effect is the guide, not an interaction). */
export function fitGenes(controlMean: Vec, threshold: number, exclude: Iterable<number> = []): Int32Array {
  const skip = new Set(exclude)
  const out: number[] = []
  for (let g = 0; g < controlMean.length; g++) if (controlMean[g] > threshold && !skip.has(g)) out.push(g)
  return Int32Array.from(out)
}

/** Gathers `idx` of row `row` of a row-major matrix with `width` columns (or of a vector when width is its length). */
export function gather(values: Vec, idx: Int32Array, row = 0, width = 0): Float64Array {
  const out = new Float64Array(idx.length)
  const base = row * width
  for (let k = 0; k < idx.length; k++) out[k] = values[base + idx[k]]
  return out
}
