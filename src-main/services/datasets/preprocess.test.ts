import { execFileSync, spawnSync } from 'node:child_process'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { mapToConditions } from '../../../src-shared/domain/conditions'
// Seeded so synthetic inputs are the same on every run.
import { mulberry32 as rng } from '../../../src-shared/domain/random'
import { readH5ad } from '../../io/h5ad-read'
import type { CsrMatrix, RawDataset } from '../../io/raw-dataset'
import { Float32Memo, float32Bits, subsetColumns, subsetRows } from '../../io/csr'
import { gearsDeEntry, groupMeanVar, groupSums, rankByAbs, welchT } from './de'
import { highlyVariableGenesSeurat } from './hvg'
import { median } from '../../../src-shared/domain/statistics'
import { detectValues, log1p, normalizeTotal } from './normalise'
import type { PreparedDataset } from './prepared-dataset'
import { conditionOfUnsKey, preprocessDataset } from './preprocess'
import { loadPapalexiTenX, PAPALEXI_DIR, type PapalexiTenX } from '../../test-support/papalexi'
import { csr, dense } from '../../test-support/csr'

function rawDataset(X: CsrMatrix, extra: Partial<RawDataset> = {}): RawDataset {
  return {
    source: { path: 'test.h5ad', format: 'h5ad' },
    X,
    cells: Array.from({ length: X.nRows }, (_, i) => `cell${i}`),
    genes: { id: Array.from({ length: X.nCols }, (_, j) => `ENSG${j}`), symbol: Array.from({ length: X.nCols }, (_, j) => `G${j}`) },
    obs: {},
    warnings: [],
    ...extra,
  }
}


const code = (c: string) => expect.objectContaining({ code: c })

describe('raw-count detection and normalisation', () => {
  it('detects raw counts, log data, and refuses negative or NaN values naming the cell and gene', () => {
    expect(detectValues(csr([[0, 2], [5, 0]]), { what: 'X' })).toEqual({ kind: 'raw-counts', max: 5 })
    expect(detectValues(csr([[0, 0.69], [1.79, 0]]), { what: 'X' }).kind).toBe('log-normalised')
    const labels = { what: 'X of a.h5ad', rows: ['AAAC', 'AAAG'], cols: ['STAT1', 'IRF1'] }
    expect(() => detectValues(csr([[0, 1], [-1, 0]]), labels)).toThrowError(code('dataset.invalid-values'))
    expect(() => detectValues(csr([[0, 1], [-1, 0]]), labels)).toThrowError(/negative value \(-1\) at cell AAAG \(row 1\), gene STAT1/)
    expect(() => detectValues(csr([[0, NaN], [1, 0]]), labels)).toThrowError(/NaN at cell AAAC \(row 0\), gene IRF1/)
    expect(() => detectValues(csr([[Infinity, 0]]), labels)).toThrowError(code('dataset.invalid-values'))
  })

  it('normalises to the median total of non-empty cells and log1p-transforms', () => {
    // totals 2, 4, 0, 10 → median of the non-zero ones = 4
    const m = csr([[1, 1, 0], [0, 4, 0], [0, 0, 0], [5, 0, 5]])
    const { matrix, targetSum } = normalizeTotal(m)
    expect(targetSum).toBe(4)
    expect(dense(matrix)).toEqual([[2, 2, 0], [0, 4, 0], [0, 0, 0], [2, 0, 2]])
    expect(dense(log1p(matrix))[0][0]).toBeCloseTo(Math.log(3), 6)
    expect(median(Float64Array.from([3, 1, 2]))).toBe(2)
  })
})

describe('CSR subsetting', () => {
  it('selects rows and columns like dense indexing', () => {
    const rows = [[1, 0, 2, 0], [0, 0, 0, 3], [4, 5, 0, 6]]
    const m = csr(rows)
    expect(dense(subsetRows(m, Int32Array.from([2, 0])))).toEqual([rows[2], rows[0]])
    expect(dense(subsetColumns(m, Int32Array.from([0, 3])))).toEqual(rows.map((r) => [r[0], r[3]]))
  })

  it('subsets columns in place exactly as into new arrays', () => {
    const m = csr([
      [0, 1, 0, 2, 3],
      [4, 0, 0, 0, 5],
      [0, 0, 0, 0, 0],
      [6, 7, 8, 9, 1],
    ])
    const keep = Int32Array.from([0, 3, 4])
    const copy = subsetColumns(m, keep)
    const own = { ...m, indices: m.indices.slice(), data: m.data.slice() }
    const inPlace = subsetColumns(own, keep, true)
    expect(dense(inPlace)).toEqual(dense(copy))
    expect(Array.from(inPlace.indptr)).toEqual(Array.from(copy.indptr))
    expect(inPlace.data.buffer).toBe(own.data.buffer)
    const n = normalizeTotal(m)
    const mine = { ...m, data: m.data.slice() }
    const nIn = normalizeTotal(mine, undefined, true)
    expect(nIn.matrix).toBe(mine)
    expect(nIn.targetSum).toBe(n.targetSum)
    expect(Array.from(mine.data)).toEqual(Array.from(n.matrix.data))
  })

  it('memoised log1p/expm1 give exactly what direct calls give, collisions included', () => {
    const rand = rng(3)
    // 20,000 values, many repeated, more distinct ones than the memo has slots
    const x = Float32Array.from({ length: 20000 }, (_, i) => (i % 3 === 0 ? Math.floor(rand() * 5) * 0.731 : rand() * 9))
    const bits = float32Bits(x)
    for (const fn of [Math.log1p, Math.expm1]) {
      const memo = new Float32Memo(fn)
      for (let k = 0; k < x.length; k++) expect(memo.apply(bits[k], x[k])).toBe(fn(x[k]))
    }
  })
})

describe('Welch t-test and GEARS DE sets', () => {
  it('matches hand-computed t statistics and NaN → 0', () => {
    // gene 0: ctrl [0, 1, 2] (mean 1, var 1), condition [3, 5] (mean 4, var 2): t = 3 / √(2/2 + 1/3)
    // gene 1: zero everywhere → 0/0 → 0; gene 2: ctrl [1,1,1] vs [2,2] → zero variance, t = +∞
    const X = csr([[0, 0, 1], [1, 0, 1], [2, 0, 1], [3, 0, 2], [5, 0, 2]])
    const s = groupSums(X, Int32Array.from([0, 0, 0, 1, 1]), 2)
    expect(Array.from(s.cells)).toEqual([3, 2])
    const c = groupMeanVar(s, 0)
    const g = groupMeanVar(s, 1)
    expect(Array.from(c.mean)).toEqual([1, 0, 1])
    expect(Array.from(c.variance)).toEqual([1, 0, 0])
    const t = welchT(g.mean, g.variance, 2, c.mean, c.variance, 3)
    expect(t[0]).toBeCloseTo(3 / Math.sqrt(1 + 1 / 3), 12)
    expect(t[1]).toBe(0)
    expect(t[2]).toBe(Infinity)
    expect(Array.from(rankByAbs(t))).toEqual([2, 0, 1])
    expect(Array.from(rankByAbs([0.5, -3, 3, 0]))).toEqual([1, 2, 0, 3])
  })

  it('derives non-zero and non-dropout sets as GEARS does', () => {
    // genes: 0 expressed in both; 1 expressed in control only (dropout); 2 zero in both; 3 condition only
    const ranking = Int32Array.from([1, 3, 0, 2])
    const e = gearsDeEntry(ranking, null, [0.5, 0, 0, 2], [1, 0.3, 0, 0])
    expect(Array.from(e.nonZerosGeneIdx)).toEqual([0, 3])
    expect(Array.from(e.nonDropoutGeneIdx)).toEqual([0, 2, 3])
    expect(Array.from(e.topNonZeroDe20)).toEqual([3, 0])
    expect(Array.from(e.topNonDropoutDe20)).toEqual([3, 0, 2])
  })
})

/** The seurat HVG recipe re-derived densely and independently (two-pass variance, linear bin scan). */
function seuratReference(logRows: number[][], nTop: number) {
  const n = logRows.length
  const G = logRows[0].length
  const mean: number[] = []
  const disp: number[] = []
  for (let j = 0; j < G; j++) {
    const col = logRows.map((r) => Math.expm1(r[j]))
    let mu = col.reduce((a, b) => a + b, 0) / n
    const v = col.reduce((a, b) => a + (b - mu) ** 2, 0) / (n - 1)
    if (mu === 0) mu = 1e-12
    const d = v / mu
    disp.push(d === 0 ? NaN : Math.log(d))
    mean.push(Math.log1p(mu))
  }
  const lo = Math.min(...mean)
  const hi = Math.max(...mean)
  const edges = Array.from({ length: 21 }, (_, i) => (i === 20 ? hi : lo + ((hi - lo) / 20) * i))
  edges[0] -= (hi - lo) / 1000
  const bin = mean.map((m) => edges.findIndex((e, i) => i > 0 && m <= e) - 1)
  const norm = disp.map((d, j) => {
    const peers = disp.filter((x, k) => bin[k] === bin[j] && !Number.isNaN(x))
    const bm = peers.reduce((a, b) => a + b, 0) / peers.length
    if (peers.length < 2) return d / bm // scanpy: mean 0, std = bin mean
    const sd = Math.sqrt(peers.reduce((a, b) => a + (b - bm) ** 2, 0) / (peers.length - 1))
    return (d - bm) / sd
  })
  const ranked = norm.filter((x) => !Number.isNaN(x)).sort((a, b) => b - a)
  const cut = ranked[Math.min(nTop, ranked.length) - 1]
  return { norm, selected: norm.map((x) => (x >= cut ? 1 : 0)) }
}

describe('highly variable genes (seurat flavour)', () => {
  it('agrees with an independent dense reimplementation on a synthetic matrix', () => {
    const rand = rng(7)
    const nCells = 300
    const nGenes = 400
    const scale = Array.from({ length: nGenes }, () => Math.exp(rand() * 4 - 2))
    const rows = Array.from({ length: nCells }, () =>
      scale.map((s, j) => {
        if (j === 0) return 0 // never expressed: NaN dispersion
        if (j === 1) return 500 + Math.floor(rand() * 50) // alone in the top mean bin
        const burst = rand() < 0.1 * (1 + (j % 5)) ? 3 : 1
        return Math.floor(-Math.log(1 - rand()) * s * burst)
      }),
    )
    const logX = log1p(normalizeTotal(csr(rows)).matrix)
    const got = highlyVariableGenesSeurat(logX, { nTopGenes: 60 })
    const ref = seuratReference(dense(logX), 60)
    expect(Number.isNaN(got.dispersionsNorm[0])).toBe(true)
    expect(got.highlyVariable[0]).toBe(0)
    expect(got.dispersionsNorm[1]).toBe(1) // single-gene bin
    for (let j = 0; j < nGenes; j++) {
      if (Number.isNaN(ref.norm[j])) expect(Number.isNaN(got.dispersionsNorm[j])).toBe(true)
      else expect(got.dispersionsNorm[j]).toBeCloseTo(ref.norm[j], 8)
    }
    expect(Array.from(got.highlyVariable)).toEqual(ref.selected)
    expect(got.highlyVariable.reduce((a, b) => a + b, 0)).toBe(60)
  })
})

describe('preprocessDataset on small inputs', () => {
  const counts = [
    [0, 2, 1, 4],
    [1, 0, 3, 2],
    [2, 1, 0, 0],
    [0, 3, 1, 1],
    [5, 0, 0, 2],
    [1, 1, 1, 1],
  ]
  const conditions = ['ctrl', 'ctrl', 'G0+ctrl', 'ctrl+G0', 'G1+G9', null]

  it('keeps mapped cells, canonicalises conditions and reports unmeasured perturbed genes', () => {
    const p = preprocessDataset(rawDataset(csr(counts)), { conditions })
    expect(p.cells).toEqual(['cell0', 'cell1', 'cell2', 'cell3', 'cell4'])
    expect(p.droppedCells).toBe(1)
    expect(p.conditions.map((c) => [c.condition, c.cells])).toEqual([['ctrl', 2], ['G0+ctrl', 2], ['G1+G9', 1]])
    expect(Array.from(p.cellCondition)).toEqual([0, 0, 1, 1, 2])
    expect(p.perturbedGenesNotMeasured).toEqual(['G9'])
    expect(p.normalisation).toMatchObject({ detected: 'raw-counts', applied: 'normalize_total+log1p', matrix: 'X' })
    expect(p.normalisation.targetSum).toBe(6) // totals of the kept cells: 7, 6, 3, 5, 7
    expect(p.hvgSelected).toBe(false)
    expect(p.conditions[0].de).toBeNull()
    expect(p.warnings.join(' ')).toMatch(/single cell.*G1\+G9/)
    // control mean of gene 3: log1p(4·6/7) and log1p(2·6/6)
    expect(p.controlMean[3]).toBeCloseTo((Math.log1p(24 / 7) + Math.log1p(2)) / 2, 6)
  })

  it('leaves log-normalised input as it is and prefers raw layers/counts when present', () => {
    const logX = log1p(normalizeTotal(csr(counts)).matrix)
    const asLog = preprocessDataset(rawDataset(logX), { conditions })
    expect(asLog.normalisation).toEqual({ detected: 'log-normalised', applied: 'none', matrix: 'X', targetSum: null })
    expect(asLog.X.data).not.toBe(logX.data)
    const withCounts = preprocessDataset(rawDataset(logX, { counts: csr(counts) }), { conditions })
    expect(withCounts.normalisation).toMatchObject({ detected: 'raw-counts', matrix: 'layers/counts', applied: 'normalize_total+log1p' })
    expect(Array.from(withCounts.controlMean)).toEqual(Array.from(preprocessDataset(rawDataset(csr(counts)), { conditions }).controlMean))
  })

  it('refuses data without control cells, bad conditions and a wrong condition count', () => {
    const X = csr(counts)
    expect(() => preprocessDataset(rawDataset(X), { conditions: conditions.map((c) => (c === 'ctrl' ? 'G2+ctrl' : c)) })).toThrowError(code('dataset.no-control-cells'))
    expect(() => preprocessDataset(rawDataset(X), { conditions: ['ctrl', 'A++B', 'ctrl', 'ctrl', 'ctrl', 'ctrl'] })).toThrowError(code('dataset.invalid-condition'))
    expect(() => preprocessDataset(rawDataset(X), { conditions: ['ctrl'] })).toThrowError(code('dataset.condition-count'))
    expect(() => preprocessDataset(rawDataset(csr(counts.map((r) => r.map(() => 0)))), { conditions })).toThrowError(code('dataset.empty'))
    expect(() => preprocessDataset(rawDataset(csr([[-1, 0, 0, 0], ...counts.slice(1)])), { conditions })).toThrowError(code('dataset.invalid-values'))
  })

  it('stops when cancelled', () => {
    const ac = new AbortController()
    ac.abort()
    expect(() => preprocessDataset(rawDataset(csr(counts)), { conditions, signal: ac.signal })).toThrowError(code('dataset.cancelled'))
  })

  it('finds the condition of GEARS uns keys', () => {
    const known = new Map([
      ['ctrl', 0],
      ['A+B', 1],
      ['STAT1+ctrl', 2],
    ])
    expect(conditionOfUnsKey('K562_B+A_1+1', known)).toBe(1)
    expect(conditionOfUnsKey('THP_1_cell_ctrl+STAT1_1+1', known)).toBe(2)
    expect(conditionOfUnsKey('STAT1+ctrl', known)).toBe(2)
    expect(conditionOfUnsKey('K562_C+ctrl_1', known)).toBeUndefined()
  })
})

const HAVE_SCIPY = spawnSync('python3', ['-c', 'import numpy, scipy'], { encoding: 'utf8' }).status === 0

describe('Papalexi 2021 (real data, 10x layout)', () => {
  let data: PapalexiTenX
  let p: PreparedDataset

  beforeAll(() => {
    data = loadPapalexiTenX()
    const mapped = mapToConditions(data.target, { controlLabels: ['non-targeting'] })
    p = preprocessDataset(data.raw, { conditions: mapped.conditions })
  })

  it('has the published shape and detects raw counts', () => {
    expect(p.cells.length).toBe(20729)
    expect(p.genes.symbol.length).toBe(299)
    expect(p.conditions.length).toBe(26)
    expect(p.conditions.filter((c) => c.genes.length === 1).length).toBe(25)
    expect(p.conditions[0]).toMatchObject({ condition: 'ctrl', cells: 2386 })
    expect(p.conditions.find((c) => c.condition === 'STAT1+ctrl')?.cells).toBe(444)
    expect(p.normalisation).toMatchObject({ detected: 'raw-counts', applied: 'normalize_total+log1p' })
    expect(p.hvg.keptAllReason).toMatch(/299 genes/)
    expect(p.perturbedGenesNotMeasured.length).toBe(16) // 9 of the 25 targets are measured
    expect(p.deSource).toBe('computed')
  })

  it('the .h5ad (GEARS condition column) gives the same conditions and DE rankings as the 10x layout', async () => {
    const h5 = await readH5ad(path.join(PAPALEXI_DIR, 'papalexi2021_counts.h5ad'))
    const col = h5.obs.condition
    if (col.type !== 'string') throw new Error('condition should be a string column')
    const mapped = mapToConditions(col.values, { controlLabels: [] })
    expect(mapped.unmapped).toEqual([])
    const q = preprocessDataset(h5, { conditions: mapped.conditions })
    expect(q.cells).toEqual(p.cells)
    expect(q.genes.symbol).toEqual(p.genes.symbol)
    expect(q.conditions.map((c) => [c.condition, c.cells])).toEqual(p.conditions.map((c) => [c.condition, c.cells]))
    expect(Buffer.from(q.X.data.buffer).equals(Buffer.from(p.X.data.buffer))).toBe(true)
    for (const [i, c] of q.conditions.entries()) expect(c.de?.ranking, c.condition).toEqual(p.conditions[i].de?.ranking)
  })

  it('guide names map to the same conditions as the target column', () => {
    const byGuide = mapToConditions(data.guide, { controlLabels: ['NT'] })
    const byTarget = mapToConditions(data.target, { controlLabels: ['non-targeting'] })
    expect(byGuide.conditions).toEqual(byTarget.conditions)
    expect(byGuide.unmapped).toEqual([])
  })

  it('ranks STAT1 at the top for the STAT1 knockout, down in the knockout cells', () => {
    const stat1 = p.genes.symbol.indexOf('STAT1')
    const de = p.conditions.find((c) => c.condition === 'STAT1+ctrl')!.de!
    expect(de.ranking[0]).toBe(stat1)
    expect(de.scores![stat1]).toBeLessThan(-10)
    expect(Array.from(de.topNonDropoutDe20)).toContain(stat1)
  })

  it('DE of every condition equals a dense Welch t-test computed independently', () => {
    // Dense float64 reference: normalise, log1p, two-pass mean and variance per group.
    const X = dense(data.raw.X)
    const totals = X.map((r) => r.reduce((a, b) => a + b, 0))
    const nz = totals.filter((t) => t > 0).sort((a, b) => a - b)
    const target = nz.length % 2 ? nz[(nz.length - 1) / 2] : (nz[nz.length / 2 - 1] + nz[nz.length / 2]) / 2
    const logX = X.map((r, i) => r.map((v) => Math.log1p((v * target) / totals[i])))
    const stats = (rows: number[][]) => {
      const n = rows.length
      const m = rows[0].map((_, j) => rows.reduce((a, r) => a + r[j], 0) / n)
      const v = m.map((mu, j) => rows.reduce((a, r) => a + (r[j] - mu) ** 2, 0) / (n - 1))
      return { n, m, v }
    }
    const mapped = mapToConditions(data.target, { controlLabels: ['non-targeting'] }).conditions
    const ctrl = stats(logX.filter((_, i) => mapped[i] === 'ctrl'))
    for (const [i, ctrlMean] of ctrl.m.entries()) expect(p.controlMean[i]).toBeCloseTo(ctrlMean, 5)
    for (const c of p.conditions.slice(1)) {
      const g = stats(logX.filter((_, i) => mapped[i] === c.condition))
      const t = g.m.map((mu, j) => {
        const x = (mu - ctrl.m[j]) / Math.sqrt(g.v[j] / g.n + ctrl.v[j] / ctrl.n)
        return Number.isNaN(x) ? 0 : x
      })
      for (let j = 0; j < t.length; j++) expect(c.de!.scores![j]).toBeCloseTo(t[j], 3)
      const order = t.map((_, j) => j).sort((a, b) => Math.abs(t[b]) - Math.abs(t[a]) || a - b)
      const nonZero = new Set(g.m.flatMap((mu, j) => (mu !== 0 ? [j] : [])))
      const nonDropout = new Set(g.m.flatMap((mu, j) => (mu !== 0 || ctrl.m[j] === 0 ? [j] : [])))
      expect(Array.from(c.de!.topNonZeroDe20), c.condition).toEqual(order.filter((j) => nonZero.has(j)).slice(0, 20))
      expect(Array.from(c.de!.topNonDropoutDe20), c.condition).toEqual(order.filter((j) => nonDropout.has(j)).slice(0, 20))
      expect(Array.from(c.de!.nonZerosGeneIdx)).toEqual([...nonZero].sort((a, b) => a - b))
    }
  })

  it.skipIf(!HAVE_SCIPY)('top-20 DE genes agree with scipy.stats.ttest_ind(equal_var=False)', () => {
    const script = `
import gzip, json, sys
import numpy as np, scipy.io, scipy.stats
d = sys.argv[1]
X = scipy.io.mmread(gzip.open(d + '/matrix.mtx.gz')).T.tocsr().astype(np.float64).toarray()
sym = [l.decode().split('\\t')[1] for l in gzip.open(d + '/features.tsv.gz').read().splitlines()]
bc = [l.decode() for l in gzip.open(d + '/barcodes.tsv.gz').read().splitlines()]
meta = {r.split(',')[0]: r.split(',')[2] for r in open(d + '/cells.csv').read().splitlines()[1:]}
target = np.array([meta[b] for b in bc])
tot = X.sum(1)
X = np.log1p(X * (np.median(tot[tot > 0]) / np.where(tot > 0, tot, 1))[:, None])
ctrl = X[target == 'non-targeting']
out = {}
for g in ['STAT1', 'IRF1', 'IFNGR1', 'JAK2', 'SPI1']:
    t, _ = scipy.stats.ttest_ind(X[target == g], ctrl, equal_var=False)
    t = np.nan_to_num(t, nan=0.0)
    out[g + '+ctrl'] = [sym[j] for j in np.argsort(-np.abs(t), kind='stable')[:20]]
print(json.dumps(out))
`
    const expected = JSON.parse(execFileSync('python3', ['-c', script, path.resolve(PAPALEXI_DIR)], { encoding: 'utf8' })) as Record<string, string[]>
    for (const [condition, top20] of Object.entries(expected)) {
      const de = p.conditions.find((c) => c.condition === condition)!.de!
      expect(Array.from(de.ranking.subarray(0, 20), (j) => p.genes.symbol[j]), condition).toEqual(top20)
    }
  })

  it('selects HVGs plus every measured perturbed gene when asked for fewer genes', () => {
    const mapped = mapToConditions(data.target, { controlLabels: ['non-targeting'] })
    const small = preprocessDataset(data.raw, { conditions: mapped.conditions, nTopGenes: 50 })
    expect(small.hvgSelected).toBe(true)
    expect(small.hvg.highlyVariable).toBe(50)
    expect(small.genes.symbol.length).toBe(50 + small.hvg.perturbedAdded.length)
    const measured = p.conditions.flatMap((c) => c.genes).filter((g) => p.genes.symbol.includes(g))
    expect(measured.length).toBe(9)
    for (const g of measured) expect(small.genes.symbol).toContain(g)
    expect(small.X.nCols).toBe(small.genes.symbol.length)
    const stat1 = small.genes.symbol.indexOf('STAT1')
    expect(small.conditions.find((c) => c.condition === 'STAT1+ctrl')!.de!.ranking[0]).toBe(stat1)
  })

  it('gives the same dataset when it consumes the reader\'s matrix in place (HVG subset included)', () => {
    const mapped = mapToConditions(data.target, { controlLabels: ['non-targeting'] })
    const copied = preprocessDataset(data.raw, { conditions: mapped.conditions, nTopGenes: 50 })
    const X = data.raw.X
    const handedOver = { ...data.raw, X: { ...X, indices: X.indices.slice(), data: X.data.slice() } }
    const consumed = preprocessDataset(handedOver, { conditions: mapped.conditions, nTopGenes: 50, consume: true })
    expect(consumed.genes).toEqual(copied.genes)
    expect(Array.from(consumed.X.indptr)).toEqual(Array.from(copied.X.indptr))
    expect(Array.from(consumed.X.indices)).toEqual(Array.from(copied.X.indices))
    expect(Array.from(consumed.X.data)).toEqual(Array.from(copied.X.data))
    expect(Array.from(consumed.conditionMeans)).toEqual(Array.from(copied.conditionMeans))
    expect(consumed.conditions.map((c) => Array.from(c.de?.ranking ?? []))).toEqual(copied.conditions.map((c) => Array.from(c.de?.ranking ?? [])))
    // no second copy of the stored values: the result lives in the handed-over buffers
    expect(consumed.X.data.buffer).toBe(handedOver.X.data.buffer)
    expect(consumed.X.indices.buffer).toBe(handedOver.X.indices.buffer)
    // without `consume` the reader's arrays are left alone
    expect(copied.X.data.buffer).not.toBe(X.data.buffer)
    expect(Number.isInteger(X.data[0])).toBe(true)
  })

  it('uses DE entries a GEARS file carries instead of recomputing them', () => {
    const mapped = mapToConditions(data.target, { controlLabels: ['non-targeting'] })
    const ids = (idx: Int32Array) => Array.from(idx, (j) => p.genes.id[j])
    const uns: NonNullable<RawDataset['uns']> = { rank_genes_groups_cov_all: {}, top_non_dropout_de_20: {}, non_zeros_gene_idx: {} }
    for (const c of p.conditions.slice(1)) {
      const key = `THP-1_${c.condition.replace('+ctrl', '').concat('+ctrl')}_1+1`
      // a file's own (here: reversed) ranking must be taken as is
      uns.rank_genes_groups_cov_all![key] = ids(c.de!.ranking).reverse()
      uns.top_non_dropout_de_20![key] = ids(c.de!.topNonDropoutDe20)
      uns.non_zeros_gene_idx![key] = Array.from(c.de!.nonZerosGeneIdx)
    }
    const fromFile = preprocessDataset({ ...data.raw, uns }, { conditions: mapped.conditions })
    expect(fromFile.deSource).toBe('gears-uns')
    expect(fromFile.hvg.keptAllReason).toMatch(/GEARS-processed/)
    const stat1 = fromFile.conditions.find((c) => c.condition === 'STAT1+ctrl')!.de!
    const ref = p.conditions.find((c) => c.condition === 'STAT1+ctrl')!.de!
    expect(stat1.scores).toBeNull()
    expect(Array.from(stat1.ranking)).toEqual(Array.from(ref.ranking).reverse())
    expect(Array.from(stat1.topNonDropoutDe20)).toEqual(Array.from(ref.topNonDropoutDe20))
    expect(Array.from(stat1.nonDropoutGeneIdx)).toEqual(Array.from(ref.nonDropoutGeneIdx)) // derived, not in the file

    // One entry naming an unknown gene, one missing: both recomputed, each said so.
    const keys = Object.keys(uns.rank_genes_groups_cov_all!)
    uns.rank_genes_groups_cov_all![keys[0]] = ['NOT_A_GENE']
    delete uns.rank_genes_groups_cov_all![keys[1]]
    const mixed = preprocessDataset({ ...data.raw, uns }, { conditions: mapped.conditions })
    expect(mixed.deSource).toBe('gears-uns+computed')
    expect(mixed.warnings.join('\n')).toMatch(/NOT_A_GENE/)
    expect(mixed.warnings.join('\n')).toMatch(/2 conditions were missing/)
  })
})
