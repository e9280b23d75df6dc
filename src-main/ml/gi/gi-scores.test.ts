import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { pythonWith } from '../../test-support/python'
import { mulberry32 } from '../random'
import { fitGenes, giScores, pairDistanceCorrelations, pairSolutions, spatialMedian2, theilSenNoIntercept } from './gi-scores'

// ── fixed vectors ─────────────────────────────────────────────────────────────────────

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
}

interface Case {
  name: string
  a: number[]
  b: number[]
  ab: number[]
}

function makeCase(name: string, n: number, seed: number, f: (a: number, b: number, e: number, i: number) => number): Case {
  const rand = mulberry32(seed)
  const a: number[] = []
  const b: number[] = []
  const ab: number[] = []
  for (let i = 0; i < n; i++) {
    const x = normal(rand)
    const y = 0.4 * x + normal(rand)
    a.push(x)
    b.push(y)
    ab.push(f(x, y, normal(rand), i))
  }
  return { name, a, b, ab }
}

const CASES: Case[] = [
  makeCase('additive', 40, 1, (a, b, e) => a + b + 0.1 * e),
  makeCase('synergy with outliers', 60, 2, (a, b, e, i) => 2.1 * a + 1.8 * b + 0.2 * e + (i % 13 === 0 ? 8 : 0)),
  makeCase('epistasis', 35, 3, (a, b, e) => 1.0 * a + 0.05 * b + 0.15 * e),
  makeCase('neomorphic', 50, 4, (a, b, e) => 0.5 * a + 0.5 * b + 1.2 * e),
]
// Repeated genes make exactly singular two-gene systems (the min-norm branch).
const dup = makeCase('duplicated genes', 30, 5, (a, b, e) => 0.8 * a + 1.2 * b + 0.3 * e)
for (let i = 0; i < 5; i++) {
  dup.a.push(dup.a[i])
  dup.b.push(dup.b[i])
  dup.ab.push(dup.ab[i] + 0.5)
}
CASES.push(dup)

// ── independent implementations ───────────────────────────────────────────────────────

/** Exact Theil–Sen: every two-gene system solved by its inverse or pseudo-inverse (via the normal equations), then the L1 median by pattern search on the sum of distances. */
function referenceTheilSen(a: number[], b: number[], y: number[]): [number, number] {
  const pts: [number, number][] = []
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      // MᵀM c = Mᵀ y; singular → c = Mᵀ y / ‖M‖²_F (pseudo-inverse of a rank-1 matrix)
      const m11 = a[i] * a[i] + a[j] * a[j]
      const m12 = a[i] * b[i] + a[j] * b[j]
      const m22 = b[i] * b[i] + b[j] * b[j]
      const r1 = a[i] * y[i] + a[j] * y[j]
      const r2 = b[i] * y[i] + b[j] * y[j]
      const det = m11 * m22 - m12 * m12
      if (Math.abs(det) > 1e-9 * (m11 + m22) ** 2) pts.push([(m22 * r1 - m12 * r2) / det, (m11 * r2 - m12 * r1) / det])
      else pts.push([r1 / (m11 + m22), r2 / (m11 + m22)])
    }
  }
  const cost = (x: number, z: number) => pts.reduce((s, [p, q]) => s + Math.hypot(p - x, q - z), 0)
  let x = pts.reduce((s, p) => s + p[0], 0) / pts.length
  let z = pts.reduce((s, p) => s + p[1], 0) / pts.length
  let step = 1
  let best = cost(x, z)
  while (step > 1e-9) {
    let moved = false
    for (const [dx, dz] of [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1], [1, -1], [-1, 1]]) {
      const c = cost(x + dx * step, z + dz * step)
      if (c < best) {
        best = c
        x += dx * step
        z += dz * step
        moved = true
        break
      }
    }
    if (!moved) step /= 2
  }
  return [x, z]
}

/** Székely's distance correlation with explicit double-centred n × n matrices. */
function referenceDcor(x: number[][], y: number[][]): number {
  const n = x.length
  const dist = (u: number[][]) => u.map((ui) => u.map((uj) => Math.hypot(...ui.map((v, k) => v - uj[k]))))
  const centre = (d: number[][]) => {
    const row = d.map((r) => r.reduce((s, v) => s + v, 0) / n)
    const all = row.reduce((s, v) => s + v, 0) / n
    return d.map((r, i) => r.map((v, j) => v - row[i] - row[j] + all))
  }
  const A = centre(dist(x))
  const B = centre(dist(y))
  const m = (P: number[][], Q: number[][]) => P.reduce((s, r, i) => s + r.reduce((t, v, j) => t + v * Q[i][j], 0), 0) / (n * n)
  return Math.sqrt(m(A, B) / Math.sqrt(m(A, A) * m(B, B)))
}

const col = (v: number[]) => v.map((x) => [x])

// ── tests ──────────────────────────────────────────────────────────────────────────────

describe('Theil–Sen without intercept', () => {
  it.each(CASES)('matches an exact reference on "$name" to 1e-6', ({ a, b, ab }) => {
    const fit = theilSenNoIntercept(a, b, ab)
    expect(fit.exact).toBe(true)
    const [c1, c2] = referenceTheilSen(a, b, ab)
    expect(fit.c1).toBeCloseTo(c1, 6)
    expect(fit.c2).toBeCloseTo(c2, 6)
  })

  it('recovers the coefficients of a noiseless linear pair whatever the outliers', () => {
    const c = CASES[1]
    const clean = c.a.map((x, i) => 2.1 * x + 1.8 * c.b[i])
    clean[3] = 50
    clean[7] = -40
    const fit = theilSenNoIntercept(c.a, c.b, clean)
    expect(fit.c1).toBeCloseTo(2.1, 6)
    expect(fit.c2).toBeCloseTo(1.8, 6)
  })

  it('samples at most maxSubsamples random gene pairs beyond that, seeded', () => {
    const c = makeCase('large', 600, 9, (a, b, e) => 1.5 * a + 0.5 * b + 0.2 * e)
    const one = pairSolutions(c.a, c.b, c.ab, 100_000, 7)
    expect(one.exact).toBe(false)
    expect(one.points.length).toBe(200_000)
    expect(pairSolutions(c.a, c.b, c.ab, 100_000, 7).points).toEqual(one.points)
    const fit = theilSenNoIntercept(c.a, c.b, c.ab, { seed: 7 })
    const exact = theilSenNoIntercept(c.a, c.b, c.ab, { maxSubsamples: Infinity })
    expect(exact.exact).toBe(true)
    expect(fit.c1).toBeCloseTo(exact.c1, 2)
    expect(fit.c2).toBeCloseTo(exact.c2, 2)
  })

  it('puts the spatial median on a data point when that point holds the majority', () => {
    const pts = Float64Array.from([1, 1, 1, 1, 1, 1, 5, 0, 0, 7])
    const m = spatialMedian2(pts)
    expect(m.x).toBeCloseTo(1, 9)
    expect(m.y).toBeCloseTo(1, 9)
  })
})

describe('distance correlation', () => {
  it.each(CASES)('matches double-centred matrices on "$name" to 1e-9', ({ a, b, ab }) => {
    const d = pairDistanceCorrelations(a, b, ab)
    expect(d.dcor).toBeCloseTo(referenceDcor(a.map((x, i) => [x, b[i]]), col(ab)), 9)
    expect(d.dcor_singles).toBeCloseTo(referenceDcor(col(a), col(b)), 9)
    expect(d.dcor_first).toBeCloseTo(referenceDcor(col(a), col(ab)), 9)
    expect(d.dcor_second).toBeCloseTo(referenceDcor(col(b), col(ab)), 9)
  })

  it('is 1 for a linear relation of one variable and 0 for a constant', () => {
    const x = [1, 2, 4, 8, 3]
    expect(pairDistanceCorrelations(x, x, x.map((v) => -3 * v)).dcor_first).toBeCloseTo(1, 12)
    expect(pairDistanceCorrelations(x, [2, 2, 2, 2, 2], x).dcor_singles).toBe(0)
  })
})

describe('GI scores', () => {
  it('derives mag, corr_fit, dominance and eq_contr from the fit as GEARS does', () => {
    const { a, b, ab } = CASES[2]
    const s = giScores(a, b, ab)
    expect(s.mag).toBeCloseTo(Math.hypot(s.c1, s.c2), 12)
    expect(s.magRelative).toBeCloseTo(s.mag / Math.SQRT2, 12)
    expect(s.dominance).toBeCloseTo(Math.abs(Math.log10(s.c1 / s.c2)), 12)
    expect(s.dominance).toBeGreaterThan(0.78)
    expect(s.eq_contr).toBeCloseTo(Math.min(s.dcor_first, s.dcor_second) / Math.max(s.dcor_first, s.dcor_second), 12)
    const fitted = a.map((x, i) => s.c1 * x + s.c2 * b[i])
    const mean = (v: number[]) => v.reduce((t, x) => t + x, 0) / v.length
    const [mf, my] = [mean(fitted), mean(ab)]
    const r = fitted.reduce((t, f, i) => t + (f - mf) * (ab[i] - my), 0) / Math.sqrt(fitted.reduce((t, f) => t + (f - mf) ** 2, 0) * ab.reduce((t, y) => t + (y - my) ** 2, 0))
    expect(s.corr_fit).toBeCloseTo(r, 12)
    expect(s.genes).toBe(a.length)
  })

  it('measures the singles\' collinearity, which is when refitting a slightly different pair moves c1 and c2 a lot', () => {
    const rand = mulberry32(7)
    const n = 150
    const a = Array.from({ length: n }, () => normal(rand))
    const other = Array.from({ length: n }, () => normal(rand))
    const nearlyA = a.map((x, i) => 0.8 * x + 0.08 * other[i])
    // the same additive pair measured five times with a little noise: how far does c1 wander?
    const c1Spread = (b: number[]) => {
      const c1s = Array.from({ length: 5 }, () => giScores(a, b, a.map((x, i) => x + b[i] + 0.1 * normal(rand))).c1)
      return Math.max(...c1s) - Math.min(...c1s)
    }
    const collinear = giScores(a, nearlyA, a.map((x, i) => x + nearlyA[i]))
    const dot = a.reduce((t, x, i) => t + x * nearlyA[i], 0)
    expect(collinear.singles_cos).toBeCloseTo(dot / Math.hypot(...a) / Math.hypot(...nearlyA), 12)
    expect(collinear.singles_cos).toBeGreaterThan(0.95)
    expect(Math.abs(giScores(a, other, a.map((x, i) => x + other[i])).singles_cos)).toBeLessThan(0.3)
    expect(giScores(a, nearlyA.map((x) => -x), a).singles_cos).toBeLessThan(-0.95)
    expect(c1Spread(nearlyA)).toBeGreaterThan(5 * c1Spread(other))
  })

  it('keeps genes above the expression threshold, less the pair itself', () => {
    expect(Array.from(fitGenes([0.1, 0.6, 0.5, 2, 3], 0.5, [3]))).toEqual([1, 4])
  })

  it('refuses fewer than three genes', () => {
    expect(() => giScores([1, 2], [1, 2], [1, 2])).toThrow(/at least 3 genes/)
  })
})

// ── scikit-learn, when a Python with it is installed ─────────────────────────────────

const { python, missing } = pythonWith(['sklearn', 'numpy'])
if (!python) console.log(`gi-scores.test: ${missing}; skipping the TheilSenRegressor comparison (the independent reference above still runs)`)

describe.skipIf(!python)('against scikit-learn', () => {
  it("agrees with TheilSenRegressor(fit_intercept=False) as GEARS configures it, to 1e-3", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-gi-'))
    try {
      const input = path.join(dir, 'cases.json')
      fs.writeFileSync(input, JSON.stringify(CASES))
      const script = [
        'import json, sys, numpy as np',
        'from sklearn.linear_model import TheilSenRegressor',
        'out = []',
        'for c in json.load(open(sys.argv[1])):',
        '    X = np.array([c["a"], c["b"]]).T',
        '    ts = TheilSenRegressor(fit_intercept=False, max_subpopulation=1e5, max_iter=1000, random_state=1000, tol=1e-8).fit(X, np.array(c["ab"]))',
        '    out.append(list(map(float, ts.coef_)))',
        'print(json.dumps(out))',
      ].join('\n')
      const r = spawnSync(python!, ['-c', script, input], { encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      const coefs = JSON.parse(r.stdout) as [number, number][]
      CASES.forEach((c, k) => {
        const s = giScores(c.a, c.b, c.ab)
        expect(Math.abs(s.c1 - coefs[k][0])).toBeLessThan(1e-3)
        expect(Math.abs(s.c2 - coefs[k][1])).toBeLessThan(1e-3)
        expect(Math.abs(s.mag - Math.hypot(...coefs[k]))).toBeLessThan(1e-3)
      })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
