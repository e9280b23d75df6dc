/**
 * The `linear` baseline of docs/ml-engine.md §8 (Ahlmann-Eltze, Huber & Anders, Nat Methods 2025):
 * Y ≈ G·W·Pᵀ + b on pseudobulk changes, fitted in closed form on the training singles.
 *
 * - Y: genes × training single-gene conditions, each column the condition's mean expression minus
 *   the control mean; b = Y's row mean (the training mean change).
 * - G: the top-K principal components of Y − b (gene loadings, genes × K, orthonormal columns);
 *   P: the same PCA's coordinates (scores) of the training conditions (conditions × K).
 * - W (K × K): argmin ‖Y − b − G·W·Pᵀ‖² + λ‖W‖². With GᵀG = I the fit splits into the part of
 *   Y − b outside G's span (independent of W) and ‖Gᵀ(Y − b) − W·Pᵀ‖² + λ‖W‖², so exactly
 *   W = Gᵀ(Y − b)·P·(PᵀP + λI)⁻¹.
 *
 * A seen gene g is predicted as b + G·W·p_g with p_g its condition's row of P (the mean of its
 * rows if several conditions perturb it alone). An unseen gene's p_g is the weighted mean of the
 * trained genes' rows under the caller's knowledge weights, or 0 (so its prediction is b) when
 * there are none. A set of genes is the sum of its genes' predicted changes. Without any
 * training single the fit keeps only b over all training conditions and predicts b for any set.
 *
 * The PCA is exact and dependency-free: the eigen-decomposition (Householder tridiagonalisation +
 * implicit QL, in float64) of the smaller Gram matrix — conditions × conditions when genes
 * outnumber conditions, as in every screen, else genes × genes.
 */
import { AppError } from '../../src-shared/contract/envelope'
import type { Split, TrainingData } from './engine-types'
import { conditionIndex, rowsMean } from './expression'
import { CTRL } from './splits'

/** The fitted linear baseline: plain typed arrays, stored as a Record<string, Float32Array> (linearRecord). */
export interface LinearFit {
  /** b: the mean change from control over the fitted conditions, per gene (length G) */
  mean: Float32Array
  /** G: the K principal components' gene loadings, row-major [genes, K] (orthonormal columns) */
  loadings: Float32Array
  /** W: row-major [K, K] */
  weights: Float32Array
  /** P: each trained gene's coordinates (length K), by gene symbol; empty when no single was trained */
  perturbations: Record<string, Float32Array>
}

export interface LinearOptions {
  /** K, at most; also capped at conditions − 1 and genes (default 10) */
  components?: number
  /** λ of the ridge on W (default 0.1) */
  ridge?: number
}

export const LINEAR_DEFAULTS = { components: 10, ridge: 0.1 } as const

/** Components whose eigenvalue is below this share of the largest are numerically zero and dropped. */
const EIGEN_RELATIVE_TOLERANCE = 1e-10

/** Fits the linear baseline on the split's training conditions (closed form, no gradient steps). */
export function fitLinearBaseline(data: TrainingData, split: Split, options: LinearOptions = {}): LinearFit {
  const components = options.components ?? LINEAR_DEFAULTS.components
  const ridge = options.ridge ?? LINEAR_DEFAULTS.ridge
  if (!(Number.isInteger(components) && components >= 0)) throw new AppError('train.bad-config', `The linear baseline's number of components must be a whole number of 0 or more (got ${components}).`)
  if (!(ridge >= 0 && Number.isFinite(ridge))) throw new AppError('train.bad-config', `The linear baseline's ridge λ must be 0 or more (got ${ridge}).`)
  const G = data.genes.length
  const index = conditionIndex(data)
  const trained = [...new Set(split.train)].filter((name) => name !== CTRL && index.has(name)).map((name) => data.conditions[index.get(name)!])
  const singles = trained.filter((c) => c.genes.length === 1)
  const fitted = singles.length ? singles : trained
  const c = data.controlMean

  // Y − b as rows (one per condition, length G), in float64.
  const N = fitted.length
  const rows = fitted.map((cond) => {
    const m = rowsMean(data.expression, cond.cells)
    return Float64Array.from(m, (v, g) => v - c[g])
  })
  const b = new Float64Array(G)
  for (const r of rows) for (let g = 0; g < G; g++) b[g] += r[g]
  if (N) for (let g = 0; g < G; g++) b[g] /= N
  for (const r of rows) for (let g = 0; g < G; g++) r[g] -= b[g]
  const mean = Float32Array.from(b)

  if (!singles.length) return { mean, loadings: new Float32Array(0), weights: new Float32Array(0), perturbations: {} }

  const { loadings, scores, k: K } = principalComponents(rows, G, Math.min(components, N - 1, G))
  // W = M·P·(PᵀP + λI)⁻¹ with M = Gᵀ(Y − b) (K × N) and P the scores (N × K).
  const M = new Float64Array(K * N)
  for (let i = 0; i < N; i++) {
    const r = rows[i]
    for (let k = 0; k < K; k++) {
      let s = 0
      for (let g = 0; g < G; g++) s += loadings[g * K + k] * r[g]
      M[k * N + i] = s
    }
  }
  const MP = new Float64Array(K * K)
  const PtP = new Float64Array(K * K)
  for (let i = 0; i < N; i++) {
    for (let a = 0; a < K; a++) {
      const pa = scores[i * K + a]
      for (let k = 0; k < K; k++) {
        MP[a * K + k] += M[a * N + i] * scores[i * K + k]
        PtP[a * K + k] += pa * scores[i * K + k]
      }
    }
  }
  for (let k = 0; k < K; k++) PtP[k * K + k] += ridge
  // W·B = MP with B symmetric → B·Wᵀ = MPᵀ.
  const Wt = solveSymmetric(PtP, transpose(MP, K, K), K, K)
  const weights = Float32Array.from(transpose(Wt, K, K))

  // Each trained gene's P row (the mean of its conditions' rows).
  const sums = new Map<string, { p: Float64Array; n: number }>()
  singles.forEach((cond, i) => {
    const gene = cond.genes[0]
    const s = sums.get(gene) ?? { p: new Float64Array(K), n: 0 }
    for (let k = 0; k < K; k++) s.p[k] += scores[i * K + k]
    s.n++
    sums.set(gene, s)
  })
  const perturbations: Record<string, Float32Array> = {}
  for (const [gene, s] of sums) perturbations[gene] = Float32Array.from(s.p, (v) => v / s.n)
  return { mean, loadings: Float32Array.from(loadings), weights, perturbations }
}

/** K of a fit (the loadings' width). */
function componentsOf(fit: LinearFit): number {
  return Math.round(Math.sqrt(fit.weights.length))
}

/**
 * The predicted change from control (length G) for a set of perturbed genes: b + G·W·Σ p_g, the
 * set's P row being the sum of its genes' rows (docs/ml-engine.md §8), so a pair is b plus both genes'
 * deviations from the training mean ([] → zeros). `knowledgeWeights(gene)` gives an unseen gene's weights over
 * trained genes (symbols → weight ≥ 0); without any, p_g = 0.
 */
export function predictLinear(fit: LinearFit, genes: string[], knowledgeWeights?: (gene: string) => Map<string, number>): Float32Array {
  const G = fit.mean.length
  const out = new Float32Array(G)
  if (genes.length === 0) return out
  const K = componentsOf(fit)
  if (Object.keys(fit.perturbations).length === 0) {
    out.set(fit.mean)
    return out
  }
  const p = new Float64Array(K)
  for (const gene of genes) {
    const own = Object.hasOwn(fit.perturbations, gene) ? fit.perturbations[gene] : undefined
    if (own) {
      for (let k = 0; k < K; k++) p[k] += own[k]
      continue
    }
    const weights = knowledgeWeights?.(gene)
    if (!weights) continue
    let total = 0
    const q = new Float64Array(K)
    for (const [partner, w] of weights) {
      const row = Object.hasOwn(fit.perturbations, partner) ? fit.perturbations[partner] : undefined
      if (!row || !(w > 0)) continue
      total += w
      for (let k = 0; k < K; k++) q[k] += w * row[k]
    }
    if (total > 0) for (let k = 0; k < K; k++) p[k] += q[k] / total
  }
  // b + G·(W·Σ p_g)
  const wp = new Float64Array(K)
  for (let a = 0; a < K; a++) {
    let s = 0
    for (let k = 0; k < K; k++) s += fit.weights[a * K + k] * p[k]
    wp[a] = s
  }
  for (let g = 0; g < G; g++) {
    let s = fit.mean[g]
    for (let k = 0; k < K; k++) s += fit.loadings[g * K + k] * wp[k]
    out[g] = s
  }
  return out
}

const PERT_PREFIX = 'pert:'

/** The fit as TrainResult.fitted stores it. */
export function linearRecord(fit: LinearFit): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = { linear_mean: fit.mean, linear_loadings: fit.loadings, linear_weights: fit.weights }
  for (const [gene, p] of Object.entries(fit.perturbations)) out[`${PERT_PREFIX}${gene}`] = p
  return out
}

/** Rebuilds a LinearFit from TrainResult.fitted, checking that its parts agree in size. */
export function linearFromRecord(rec: Record<string, Float32Array>): LinearFit {
  const need = ['linear_mean', 'linear_loadings', 'linear_weights']
  const missing = need.filter((k) => !rec[k])
  if (missing.length) throw new AppError('model.weights-corrupt', `The stored linear baseline lacks ${missing.join(', ')}.`)
  const fit: LinearFit = { mean: rec.linear_mean, loadings: rec.linear_loadings, weights: rec.linear_weights, perturbations: {} }
  for (const [k, v] of Object.entries(rec)) if (k.startsWith(PERT_PREFIX)) fit.perturbations[k.slice(PERT_PREFIX.length)] = v
  const K = componentsOf(fit)
  const G = fit.mean.length
  const badRow = Object.entries(fit.perturbations).find(([, p]) => p.length !== K)
  if (K * K !== fit.weights.length || fit.loadings.length !== G * K || badRow) {
    throw new AppError('model.weights-corrupt', `The stored linear baseline's parts disagree in size (${G} genes, W of ${fit.weights.length}, loadings of ${fit.loadings.length}${badRow ? `, ${badRow[0]}'s row of ${badRow[1].length}` : ''}).`)
  }
  return fit
}

// ── linear algebra (float64, small and exact) ─────────────────────────────────────────

/**
 * The top-`maxK` principal components of the centred rows (N rows of length G): loadings
 * [G, k] with orthonormal columns and scores [N, k] (row i's coordinates = its projections), with
 * k ≤ maxK dropping numerically zero components. Signs are fixed (each loading column's largest
 * entry in magnitude is positive) so fits are deterministic.
 */
export function principalComponents(rows: Float64Array[], G: number, maxK: number): { loadings: Float64Array; scores: Float64Array; k: number } {
  const N = rows.length
  if (maxK <= 0 || N === 0 || G === 0) return { loadings: new Float64Array(0), scores: new Float64Array(0), k: 0 }
  const byConditions = N <= G
  const n = byConditions ? N : G
  // The Gram matrix of the smaller side.
  const C = new Float64Array(n * n)
  if (byConditions) {
    for (let i = 0; i < N; i++) {
      const ri = rows[i]
      for (let j = 0; j <= i; j++) {
        const rj = rows[j]
        let s = 0
        for (let g = 0; g < G; g++) s += ri[g] * rj[g]
        C[i * n + j] = s
        C[j * n + i] = s
      }
    }
  } else {
    for (const r of rows) {
      for (let a = 0; a < G; a++) {
        const ra = r[a]
        if (ra === 0) continue
        for (let g = 0; g <= a; g++) C[a * n + g] += ra * r[g]
      }
    }
    for (let a = 0; a < G; a++) for (let g = 0; g < a; g++) C[g * n + a] = C[a * n + g]
  }
  const { values, vectors } = symmetricEigen(C, n)
  // Descending order of the eigenvalues (symmetricEigen gives them ascending).
  const order = Array.from({ length: n }, (_, i) => n - 1 - i)
  const top = values[order[0]]
  let k = 0
  while (k < Math.min(maxK, n) && top > 0 && values[order[k]] > top * EIGEN_RELATIVE_TOLERANCE) k++
  const loadings = new Float64Array(G * k)
  const scores = new Float64Array(N * k)
  for (let c = 0; c < k; c++) {
    const col = order[c]
    if (byConditions) {
      // u = Σ_i v_i·row_i / s, score_i = s·v_i
      const s = Math.sqrt(values[col])
      for (let i = 0; i < N; i++) {
        const v = vectors[i * n + col]
        const r = rows[i]
        for (let g = 0; g < G; g++) loadings[g * k + c] += (v * r[g]) / s
        scores[i * k + c] = s * v
      }
    } else {
      for (let g = 0; g < G; g++) loadings[g * k + c] = vectors[g * n + col]
      for (let i = 0; i < N; i++) {
        let s = 0
        const r = rows[i]
        for (let g = 0; g < G; g++) s += r[g] * loadings[g * k + c]
        scores[i * k + c] = s
      }
    }
    let big = 0
    for (let g = 1; g < G; g++) if (Math.abs(loadings[g * k + c]) > Math.abs(loadings[big * k + c])) big = g
    if (loadings[big * k + c] < 0) {
      for (let g = 0; g < G; g++) loadings[g * k + c] = -loadings[g * k + c]
      for (let i = 0; i < N; i++) scores[i * k + c] = -scores[i * k + c]
    }
  }
  return { loadings, scores, k }
}

/**
 * Eigen-decomposition of a symmetric n × n matrix (row-major): eigenvalues ascending, eigenvectors
 * as the columns of `vectors` (row-major [n, n], orthonormal). Householder reduction to
 * tridiagonal form and the implicit QL algorithm (tred2 / tql2 of EISPACK, as JAMA writes them).
 */
export function symmetricEigen(A: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  // W holds the eigenvector matrix transposed (W[c] = column c), so the inner loops of the
  // column-oriented EISPACK algorithm run over contiguous memory. Initially W = Aᵀ = A.
  const W: Float64Array[] = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => A[j * n + i]))
  const d = new Float64Array(n)
  const e = new Float64Array(n)
  if (n > 0) {
    tred2(W, d, e, n)
    tql2(W, d, e, n)
  }
  // Sort ascending (tql2 leaves them nearly sorted; a selection sort keeps vectors with values).
  for (let i = 0; i < n - 1; i++) {
    let k = i
    for (let j = i + 1; j < n; j++) if (d[j] < d[k]) k = j
    if (k !== i) {
      const t = d[k]
      d[k] = d[i]
      d[i] = t
      const col = W[k]
      W[k] = W[i]
      W[i] = col
    }
  }
  const vectors = new Float64Array(n * n)
  for (let c = 0; c < n; c++) {
    const col = W[c]
    for (let r = 0; r < n; r++) vectors[r * n + c] = col[r]
  }
  return { values: d, vectors }
}

/** Householder tridiagonalisation; W is the transposed V of EISPACK's tred2 (W[j][k] = V[k][j]). */
function tred2(W: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = W[j][n - 1]
  for (let i = n - 1; i > 0; i--) {
    let scale = 0
    let h = 0
    for (let k = 0; k < i; k++) scale += Math.abs(d[k])
    if (scale === 0) {
      e[i] = d[i - 1]
      for (let j = 0; j < i; j++) {
        d[j] = W[j][i - 1]
        W[j][i] = 0
        W[i][j] = 0
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale
        h += d[k] * d[k]
      }
      let f = d[i - 1]
      let g = Math.sqrt(h)
      if (f > 0) g = -g
      e[i] = scale * g
      h -= f * g
      d[i - 1] = f - g
      for (let j = 0; j < i; j++) e[j] = 0
      const Wi = W[i]
      for (let j = 0; j < i; j++) {
        const Wj = W[j]
        f = d[j]
        Wi[j] = f
        g = e[j] + Wj[j] * f
        for (let k = j + 1; k <= i - 1; k++) {
          g += Wj[k] * d[k]
          e[k] += Wj[k] * f
        }
        e[j] = g
      }
      f = 0
      for (let j = 0; j < i; j++) {
        e[j] /= h
        f += e[j] * d[j]
      }
      const hh = f / (h + h)
      for (let j = 0; j < i; j++) e[j] -= hh * d[j]
      for (let j = 0; j < i; j++) {
        const Wj = W[j]
        f = d[j]
        g = e[j]
        for (let k = j; k <= i - 1; k++) Wj[k] -= f * e[k] + g * d[k]
        d[j] = Wj[i - 1]
        Wj[i] = 0
      }
    }
    d[i] = h
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    W[i][n - 1] = W[i][i]
    W[i][i] = 1
    const h = d[i + 1]
    const Wn = W[i + 1]
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = Wn[k] / h
      for (let j = 0; j <= i; j++) {
        const Wj = W[j]
        let g = 0
        for (let k = 0; k <= i; k++) g += Wn[k] * Wj[k]
        for (let k = 0; k <= i; k++) Wj[k] -= g * d[k]
      }
    }
    for (let k = 0; k <= i; k++) Wn[k] = 0
  }
  for (let j = 0; j < n; j++) {
    d[j] = W[j][n - 1]
    W[j][n - 1] = 0
  }
  W[n - 1][n - 1] = 1
  e[0] = 0
}

/** Implicit QL on the tridiagonal (d, e), rotating the columns W[i] of the eigenvector matrix. */
function tql2(W: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]
  e[n - 1] = 0
  let f = 0
  let tst1 = 0
  const eps = 2 ** -52
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]))
    let m = l
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break
      m++
    }
    if (m > l) {
      let iter = 0
      do {
        if (++iter > 100) throw new Error('symmetricEigen: the QL iteration did not converge')
        let g = d[l]
        let p = (d[l + 1] - g) / (2 * e[l])
        let r = Math.hypot(p, 1)
        if (p < 0) r = -r
        d[l] = e[l] / (p + r)
        d[l + 1] = e[l] * (p + r)
        const dl1 = d[l + 1]
        let h = g - d[l]
        for (let i = l + 2; i < n; i++) d[i] -= h
        f += h
        p = d[m]
        let c = 1
        let c2 = c
        let c3 = c
        const el1 = e[l + 1]
        let s = 0
        let s2 = 0
        for (let i = m - 1; i >= l; i--) {
          c3 = c2
          c2 = c
          s2 = s
          g = c * e[i]
          h = c * p
          r = Math.hypot(p, e[i])
          e[i + 1] = s * r
          s = e[i] / r
          c = p / r
          p = c * d[i] - s * g
          d[i + 1] = h + s * (c * g + s * d[i])
          const a = W[i]
          const b = W[i + 1]
          for (let k = 0; k < n; k++) {
            const t = b[k]
            b[k] = s * a[k] + c * t
            a[k] = c * a[k] - s * t
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1
        e[l] = s * p
        d[l] = c * p
      } while (Math.abs(e[l]) > eps * tst1)
    }
    d[l] += f
    e[l] = 0
  }
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols)
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]
  return out
}

/** Solves B·X = R for a symmetric positive definite K × K matrix B (Cholesky); R is row-major [K, m]. */
function solveSymmetric(B: Float64Array, R: Float64Array, K: number, m: number): Float64Array {
  const L = new Float64Array(K * K)
  for (let i = 0; i < K; i++) {
    for (let j = 0; j <= i; j++) {
      let s = B[i * K + j]
      for (let k = 0; k < j; k++) s -= L[i * K + k] * L[j * K + k]
      if (i === j) {
        if (!(s > 0)) throw new AppError('train.bad-data', 'The linear baseline\'s ridge system is not positive definite; give it a ridge λ above 0.')
        L[i * K + i] = Math.sqrt(s)
      } else L[i * K + j] = s / L[j * K + j]
    }
  }
  const X = Float64Array.from(R)
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < K; i++) {
      let s = X[i * m + c]
      for (let k = 0; k < i; k++) s -= L[i * K + k] * X[k * m + c]
      X[i * m + c] = s / L[i * K + i]
    }
    for (let i = K - 1; i >= 0; i--) {
      let s = X[i * m + c]
      for (let k = i + 1; k < K; k++) s -= L[k * K + i] * X[k * m + c]
      X[i * m + c] = s / L[i * K + i]
    }
  }
  return X
}
