import { describe, expect, it } from 'vitest'
import type { ConditionData, Split, TrainingData } from './engine-types'
import { rowsMean } from './expression'
import { fitLinearBaseline, linearFromRecord, linearRecord, predictLinear, principalComponents, symmetricEigen, type LinearFit } from './linear-baseline'
import { mulberry32 } from './random'
import { makeSplit } from './splits'
import { tinyScreen, toCsr } from '../test-support/tiny-screen'

/**
 * A screen whose condition means are known exactly: one cell per condition, control = `base`,
 * condition i = base + Δ_i. Conditions are named by their genes (`A+ctrl`, `A+B`).
 */
function screenOf(genesN: number, conditions: { genes: string[]; delta: Float64Array }[], base: Float64Array): TrainingData {
  const rows = [Float32Array.from(base), ...conditions.map((c) => Float32Array.from(c.delta, (d, g) => base[g] + d))]
  const conds: ConditionData[] = [
    { condition: 'ctrl', genes: [], cells: Int32Array.from([0]), de: null },
    ...conditions.map((c, i) => ({ condition: c.genes.length === 1 ? `${c.genes[0]}+ctrl` : c.genes.join('+'), genes: c.genes, cells: Int32Array.from([i + 1]), de: null })),
  ]
  return {
    datasetId: 1,
    genes: Array.from({ length: genesN }, (_, g) => `X${g}`),
    expression: toCsr(rows, genesN),
    conditions: conds,
    controlMean: Float32Array.from(base),
    knowledge: { release: null, pertGenes: [], goEdges: null, mask: null },
  }
}

const splitOf = (train: string[], test: string[] = [], val: string[] = []): Split => ({ config: { kind: 'custom', seed: 1 }, train, val, test, testGroups: {}, seenGenes: [] })

/** Observed Δ of a condition (mean − control mean) as the fit sees it. */
const observed = (data: TrainingData, name: string) => {
  const c = data.conditions.find((x) => x.condition === name)!
  return Float32Array.from(rowsMean(data.expression, c.cells), (v, g) => v - data.controlMean[g])
}

const expectClose = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length)
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
  expect(worst).toBeLessThanOrEqual(tol)
}

/** Rank-2 structure: Δ_i = b0 + a_i·u1 + c_i·u2 for 9 singles over 40 genes. */
function rankTwo() {
  const rand = mulberry32(7)
  const G = 40
  const u = () => Float64Array.from({ length: G }, () => 2 * rand() - 1)
  const b0 = Float64Array.from({ length: G }, () => 0.3 * (2 * rand() - 1))
  const u1 = u()
  const u2 = u()
  const singles = Array.from({ length: 9 }, (_, i) => {
    const a = 2 * rand() - 1
    const c = 2 * rand() - 1
    return { genes: [`A${i}`], delta: Float64Array.from({ length: G }, (_, g) => b0[g] + a * u1[g] + c * u2[g]) }
  })
  // A training pair (ignored: singles exist) and a held-out single.
  const pair = { genes: ['A0', 'A1'], delta: Float64Array.from({ length: G }, () => 5 * rand()) }
  const held = { genes: ['H'], delta: Float64Array.from({ length: G }, () => 5 * rand()) }
  const base = Float64Array.from({ length: G }, () => 6 + rand())
  const data = screenOf(G, [...singles, pair, held], base)
  const train = ['ctrl', ...singles.map((s) => `${s.genes[0]}+ctrl`), 'A0+A1']
  const split = splitOf(train, ['H+ctrl'])
  return { data, split, singles, G }
}

describe('symmetricEigen', () => {
  const check = (A: Float64Array, n: number) => {
    const { values, vectors } = symmetricEigen(A, n)
    for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1])
    const scale = Math.max(1, ...Array.from(values, Math.abs))
    for (let c = 0; c < n; c++) {
      for (let r = 0; r < n; r++) {
        let av = 0
        for (let k = 0; k < n; k++) av += A[r * n + k] * vectors[k * n + c]
        expect(Math.abs(av - values[c] * vectors[r * n + c])).toBeLessThan(1e-10 * scale)
      }
      for (let c2 = 0; c2 < n; c2++) {
        let dot = 0
        for (let k = 0; k < n; k++) dot += vectors[k * n + c] * vectors[k * n + c2]
        expect(Math.abs(dot - (c === c2 ? 1 : 0))).toBeLessThan(1e-10)
      }
    }
    return values
  }

  it('decomposes random, diagonal, repeated-eigenvalue and tiny symmetric matrices', () => {
    const rand = mulberry32(3)
    const n = 14
    const A = new Float64Array(n * n)
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = 2 * rand() - 1
    check(A, n)
    // diag(3, 1, 2) → 1, 2, 3
    expect(Array.from(check(Float64Array.from([3, 0, 0, 0, 1, 0, 0, 0, 2]), 3))).toEqual([1, 2, 3].map((v) => expect.closeTo(v, 12)))
    // I + 1·1ᵀ (4 × 4): eigenvalues 1, 1, 1, 5
    const J = Float64Array.from({ length: 16 }, (_, k) => (Math.floor(k / 4) === k % 4 ? 2 : 1))
    expect(Array.from(check(J, 4))).toEqual([1, 1, 1, 5].map((v) => expect.closeTo(v, 10)))
    // a rank-1 Gram matrix: one nonzero eigenvalue
    const x = [1, 2, 3, 4, 5]
    const R = Float64Array.from({ length: 25 }, (_, k) => x[Math.floor(k / 5)] * x[k % 5])
    const v = check(R, 5)
    expect(v[4]).toBeCloseTo(55, 10)
    expect(Math.abs(v[0])).toBeLessThan(1e-12)
    expect(Array.from(check(Float64Array.from([7]), 1))).toEqual([7])
    expect(symmetricEigen(new Float64Array(0), 0).values.length).toBe(0)
  })
})

describe('principalComponents', () => {
  it('gives orthonormal loadings and scores that are the projections, on both Gram sides', () => {
    const rand = mulberry32(11)
    for (const [N, G] of [
      [8, 30],
      [30, 6],
    ]) {
      const rows = Array.from({ length: N }, () => Float64Array.from({ length: G }, () => 2 * rand() - 1))
      const k = Math.min(4, N - 1, G)
      const pc = principalComponents(rows, G, k)
      expect(pc.k).toBe(k)
      for (let a = 0; a < k; a++) {
        for (let c = 0; c < k; c++) {
          let dot = 0
          for (let g = 0; g < G; g++) dot += pc.loadings[g * k + a] * pc.loadings[g * k + c]
          expect(dot).toBeCloseTo(a === c ? 1 : 0, 10)
        }
        for (let i = 0; i < N; i++) {
          let s = 0
          for (let g = 0; g < G; g++) s += rows[i][g] * pc.loadings[g * k + a]
          expect(pc.scores[i * k + a]).toBeCloseTo(s, 10)
        }
      }
      // variance explained descends
      const ss = (c: number) => Array.from({ length: N }, (_, i) => pc.scores[i * k + c] ** 2).reduce((x, y) => x + y, 0)
      for (let c = 1; c < k; c++) expect(ss(c)).toBeLessThanOrEqual(ss(c - 1) + 1e-9)
    }
  })

  it('drops numerically zero components', () => {
    const u = Float64Array.from({ length: 10 }, (_, g) => Math.sin(g + 1))
    const rows = [1, -2, 0.5, 0.5].map((a) => Float64Array.from(u, (v) => a * v))
    expect(principalComponents(rows, 10, 3).k).toBe(1)
  })
})

describe('linear baseline', () => {
  it('reproduces the seen singles of a rank-2 screen (small ridge) and b is their mean', () => {
    const { data, split, singles, G } = rankTwo()
    const fit = fitLinearBaseline(data, split, { ridge: 1e-8 })
    // Rank 2 after centring: only two components survive the tolerance.
    expect(fit.weights.length).toBe(4)
    expect(fit.loadings.length).toBe(G * 2)
    expect(Object.keys(fit.perturbations).sort()).toEqual(singles.map((s) => s.genes[0]).sort())
    for (const s of singles) expectClose(predictLinear(fit, s.genes), observed(data, `${s.genes[0]}+ctrl`), 2e-5)
    const mean = new Float64Array(G)
    for (const s of singles) observed(data, `${s.genes[0]}+ctrl`).forEach((v, g) => (mean[g] += v / singles.length))
    expectClose(fit.mean, mean, 1e-6)
  })

  it('solves the ridge normal equations W·(PᵀP + λI) = Gᵀ(Y − b)·P', () => {
    const data = tinyScreen({ singles: 12, pairs: 4, genes: 30 })
    const train = data.conditions.filter((c) => c.genes.length === 1).map((c) => c.condition)
    const ridge = 3
    const fit = fitLinearBaseline(data, splitOf(['ctrl', ...train]), { ridge, components: 4 })
    const K = 4
    const G = data.genes.length
    expect(fit.weights.length).toBe(K * K)
    const P = train.map((name) => fit.perturbations[data.conditions.find((c) => c.condition === name)!.genes[0]])
    const Yc = train.map((name) => Float64Array.from(observed(data, name), (v, g) => v - fit.mean[g]))
    for (let a = 0; a < K; a++) {
      for (let c = 0; c < K; c++) {
        // (W·(PᵀP + λI))[a, c]
        let lhs = 0
        for (let k = 0; k < K; k++) {
          let ptp = k === c ? ridge : 0
          for (let i = 0; i < P.length; i++) ptp += P[i][k] * P[i][c]
          lhs += fit.weights[a * K + k] * ptp
        }
        // (Gᵀ·Yc·P)[a, c]
        let rhs = 0
        for (let i = 0; i < P.length; i++) {
          let m = 0
          for (let g = 0; g < G; g++) m += fit.loadings[g * K + a] * Yc[i][g]
          rhs += m * P[i][c]
        }
        expect(lhs).toBeCloseTo(rhs, 3)
      }
    }
    // A larger ridge shrinks the seen predictions towards b.
    const name = train[0]
    const gene = data.conditions.find((c) => c.condition === name)!.genes[0]
    const dist = (f: LinearFit) => Math.hypot(...Array.from(predictLinear(f, [gene]), (v, g) => v - f.mean[g]))
    expect(dist(fitLinearBaseline(data, splitOf(['ctrl', ...train]), { ridge: 1e4, components: 4 }))).toBeLessThan(dist(fit))
  })

  it('caps K at 10, conditions − 1 and genes', () => {
    const data = tinyScreen({ singles: 16, pairs: 2, genes: 40 })
    const singles = data.conditions.filter((c) => c.genes.length === 1).map((c) => c.condition)
    expect(fitLinearBaseline(data, splitOf(singles)).weights.length).toBe(100)
    expect(fitLinearBaseline(data, splitOf(singles.slice(0, 5))).weights.length).toBe(16)
    expect(fitLinearBaseline(data, splitOf(singles), { components: 3 }).weights.length).toBe(9)
    // one single: K = 0, every seen gene predicts b (= its own Δ)
    const one = fitLinearBaseline(data, splitOf(singles.slice(0, 1)))
    expect(one.weights.length).toBe(0)
    expectClose(predictLinear(one, ['G0']), observed(data, singles[0]), 1e-6)
    // few genes, many conditions (genes × genes Gram side): K = genes, all of Y kept
    const narrow = tinyScreen({ singles: 12, pairs: 0, genes: 5 })
    const names = narrow.conditions.filter((c) => c.genes.length === 1).map((c) => c.condition)
    const fit = fitLinearBaseline(narrow, splitOf(names), { ridge: 1e-9 })
    expect(fit.weights.length).toBe(25)
    for (const name of names) expectClose(predictLinear(fit, narrow.conditions.find((c) => c.condition === name)!.genes), observed(narrow, name), 1e-4)
  })

  it('fits only the split’s training singles: a seen simulation-split screen is reproduced with K = conditions − 1', () => {
    const data = tinyScreen({ singles: 10, pairs: 10, genes: 30 })
    const split = makeSplit(data.conditions, { kind: 'simulation', seed: 2 })
    const trainSingles = split.train.filter((c) => data.conditions.find((x) => x.condition === c)!.genes.length === 1)
    const fit = fitLinearBaseline(data, split, { components: 50, ridge: 1e-9 })
    expect(Object.keys(fit.perturbations).length).toBe(trainSingles.length)
    for (const name of trainSingles) expectClose(predictLinear(fit, data.conditions.find((c) => c.condition === name)!.genes), observed(data, name), 1e-4)
    // held-out singles are not fitted
    const held = split.test.find((c) => data.conditions.find((x) => x.condition === c)!.genes.length === 1)
    if (held) expect(Object.hasOwn(fit.perturbations, data.conditions.find((x) => x.condition === held)!.genes[0])).toBe(false)
  })

  it('predicts an unseen gene from its knowledge weights, or b without them', () => {
    const { data, split } = rankTwo()
    const fit = fitLinearBaseline(data, split)
    const t = predictLinear(fit, ['A3'])
    const s = predictLinear(fit, ['A5'])
    // weight only on A3 (plus a partner that is not trained, which is ignored)
    const onlyT = (gene: string) => (gene === 'H' ? new Map([['A3', 2.5], ['NOT_TRAINED', 4]]) : new Map<string, number>())
    expectClose(predictLinear(fit, ['H'], onlyT), t, 1e-6)
    // weights 1 : 3 → a quarter of A5's row and three quarters of A3's
    const mixed = () => new Map([['A5', 1], ['A3', 3]])
    expectClose(predictLinear(fit, ['H'], mixed), Float32Array.from(t, (v, g) => 0.75 * v + 0.25 * s[g]), 1e-6)
    // nothing known → b, the training mean change
    expectClose(predictLinear(fit, ['H']), fit.mean, 0)
    expectClose(predictLinear(fit, ['H'], () => new Map()), fit.mean, 0)
    expectClose(predictLinear(fit, ['H'], () => new Map([['A3', 0]])), fit.mean, 0)
    // a seen gene ignores the weights
    expectClose(predictLinear(fit, ['A5'], onlyT), s, 0)
    // [] → no change
    expect(Array.from(predictLinear(fit, []))).toEqual(new Array(fit.mean.length).fill(0))
  })

  it('predicts a pair from the sum of its singles’ P rows: b plus both singles’ deviations from b', () => {
    const { data, split } = rankTwo()
    const fit = fitLinearBaseline(data, split)
    const a = predictLinear(fit, ['A1'])
    const b = predictLinear(fit, ['A7'])
    expectClose(predictLinear(fit, ['A1', 'A7']), Float32Array.from(a, (v, g) => v + b[g] - fit.mean[g]), 1e-5)
    // seen + unseen without knowledge (p = 0): A1's change
    expectClose(predictLinear(fit, ['A1', 'H']), a, 1e-5)
    const kw = () => new Map([['A7', 1]])
    expectClose(predictLinear(fit, ['A1', 'H'], kw), Float32Array.from(a, (v, g) => v + b[g] - fit.mean[g]), 1e-5)
  })

  it('falls back to the training mean change when the training part has no singles', () => {
    const rand = mulberry32(5)
    const G = 12
    const d = () => Float64Array.from({ length: G }, () => 2 * rand() - 1)
    const pairs = [
      { genes: ['A', 'B'], delta: d() },
      { genes: ['C', 'D'], delta: d() },
      { genes: ['A', 'C'], delta: d() },
    ]
    const data = screenOf(G, [...pairs, { genes: ['A'], delta: d() }], Float64Array.from({ length: G }, () => 5))
    const fit = fitLinearBaseline(data, splitOf(['ctrl', 'A+B', 'C+D', 'A+C'], ['A+ctrl']))
    expect(Object.keys(fit.perturbations)).toEqual([])
    const mean = new Float64Array(G)
    for (const name of ['A+B', 'C+D', 'A+C']) observed(data, name).forEach((v, g) => (mean[g] += v / 3))
    expectClose(predictLinear(fit, ['A']), mean, 1e-6)
    expectClose(predictLinear(fit, ['A', 'B']), mean, 1e-6)
    expect(Array.from(predictLinear(fit, []))).toEqual(new Array(G).fill(0))
    // no training condition at all: zeros
    expect(Array.from(predictLinear(fitLinearBaseline(data, splitOf(['ctrl'])), ['A']))).toEqual(new Array(G).fill(0))
  })

  it('round-trips through its record and refuses a broken one', () => {
    const { data, split } = rankTwo()
    const fit = fitLinearBaseline(data, split)
    const rec = linearRecord(fit)
    for (const v of Object.values(rec)) expect(v).toBeInstanceOf(Float32Array)
    // as a worker or the database hands it back
    const back = linearFromRecord(structuredClone(rec))
    for (const genes of [['A2'], ['A2', 'A4'], ['H'], []]) expect(predictLinear(back, genes, () => new Map([['A6', 1]]))).toEqual(predictLinear(fit, genes, () => new Map([['A6', 1]])))
    expect(linearRecord(back)).toEqual(rec)
    const { linear_weights: _w, ...noWeights } = rec
    expect(() => linearFromRecord(noWeights)).toThrow(/linear_weights/)
    expect(() => linearFromRecord({ ...rec, 'pert:A2': new Float32Array(1) })).toThrow(/disagree/)
    // the no-singles fit round-trips too
    const empty = linearFromRecord(linearRecord({ mean: Float32Array.from([1, 2]), loadings: new Float32Array(0), weights: new Float32Array(0), perturbations: {} }))
    expect(Array.from(predictLinear(empty, ['Z']))).toEqual([1, 2])
  })
})
