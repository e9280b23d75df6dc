/**
 * A tiny synthetic screen as TrainingData for the ml tests (not imported by app code): genes
 * G0…G(n−1), single perturbations that knock their own gene down and shift a few others, pairs
 * whose effect is the sum of their singles, and DE entries ranked by |mean difference|.
 */
import type { ConditionData, CsrArrays, TrainingData } from '../ml/engine-types'
import { mulberry32, randomNormalArray } from '../ml/random'

export interface TinyScreenOptions {
  genes?: number
  singles?: number
  pairs?: number
  cellsPerCondition?: number
  controlCells?: number
  seed?: number
  /** pair-only genes are not given singles */
  withKnowledge?: boolean
}

export function tinyScreen(options: TinyScreenOptions = {}): TrainingData {
  const G = options.genes ?? 24
  const nSingles = options.singles ?? 8
  const nPairs = options.pairs ?? 6
  const nCells = options.cellsPerCondition ?? 12
  const nCtrl = options.controlCells ?? 40
  const rand = mulberry32(options.seed ?? 1)
  const genes = Array.from({ length: G }, (_, i) => `G${i}`)
  const base = Float32Array.from({ length: G }, () => 0.5 + 2 * rand())
  // Each single shifts 3 other genes and removes 80 % of its own.
  const effects = Array.from({ length: nSingles }, (_, s) => {
    const e = new Float32Array(G)
    for (let k = 0; k < 3; k++) e[Math.floor(rand() * G)] += (rand() < 0.5 ? -1 : 1) * (0.5 + rand())
    e[s] = -0.8 * base[s]
    return e
  })
  const conds: { name: string; genes: string[]; effect: Float32Array; n: number }[] = [{ name: 'ctrl', genes: [], effect: new Float32Array(G), n: nCtrl }]
  for (let s = 0; s < nSingles; s++) conds.push({ name: `G${s}+ctrl`, genes: [`G${s}`], effect: effects[s], n: nCells })
  const pairs = new Set<string>()
  while (pairs.size < nPairs) {
    const a = Math.floor(rand() * nSingles)
    const b = Math.floor(rand() * nSingles)
    if (a < b) pairs.add(`${a},${b}`)
  }
  for (const p of [...pairs].sort()) {
    const [a, b] = p.split(',').map(Number)
    const e = new Float32Array(G)
    for (let g = 0; g < G; g++) e[g] = effects[a][g] + effects[b][g]
    conds.push({ name: `G${a}+G${b}`, genes: [`G${a}`, `G${b}`], effect: e, n: nCells })
  }
  const rows: Float32Array[] = []
  const cellsOf: number[][] = []
  for (const c of conds) {
    const cells: number[] = []
    for (let i = 0; i < c.n; i++) {
      const noise = randomNormalArray(G, rand, 0.3)
      // ~20 % dropout zeros, as in sparse single-cell data; never negative.
      rows.push(Float32Array.from({ length: G }, (_, g) => (rand() < 0.2 ? 0 : Math.max(0, base[g] + c.effect[g] + noise[g]))))
      cells.push(rows.length - 1)
    }
    cellsOf.push(cells)
  }
  const expression = toCsr(rows, G)
  const mean = (cells: number[]) => Float32Array.from({ length: G }, (_, g) => cells.reduce((s, r) => s + rows[r][g], 0) / cells.length)
  const controlMean = mean(cellsOf[0])
  const conditions: ConditionData[] = conds.map((c, i) => {
    const cells = Int32Array.from(cellsOf[i])
    if (c.genes.length === 0) return { condition: c.name, genes: [], cells, de: null }
    const m = mean(cellsOf[i])
    const ranking = Int32Array.from({ length: G }, (_, g) => g).sort((a, b) => Math.abs(m[b] - controlMean[b]) - Math.abs(m[a] - controlMean[a]) || a - b)
    const nonZeros = Int32Array.from({ length: G }, (_, g) => g).filter((g) => m[g] !== 0)
    const nonDropout = Int32Array.from({ length: G }, (_, g) => g).filter((g) => m[g] !== 0 || controlMean[g] === 0)
    const nd = new Set(nonDropout)
    const nz = new Set(nonZeros)
    return {
      condition: c.name,
      genes: c.genes,
      cells,
      de: {
        ranking,
        nonZerosGeneIdx: nonZeros,
        nonDropoutGeneIdx: nonDropout,
        topNonDropoutDe20: ranking.filter((g) => nd.has(g)).slice(0, 20),
        topNonZeroDe20: ranking.filter((g) => nz.has(g)).slice(0, 20),
      },
    }
  })
  const pertGenes = [...genes, 'X_ONLY_GO']
  // GO edges: a ring over the perturbed genes (each gene's two neighbours), weight 0.5.
  const src: number[] = []
  const dst: number[] = []
  for (let s = 0; s < nSingles; s++) {
    for (const t of [(s + 1) % nSingles, (s + nSingles - 1) % nSingles]) {
      src.push(t)
      dst.push(s)
    }
  }
  // Mask: blocks of 4 genes share a pathway; the last 4 genes have none.
  const blocks: number[][] = []
  for (let g = 0; g + 4 <= G - 4; g += 4) blocks.push([g, g + 1, g + 2, g + 3])
  const rowsMask: number[][] = Array.from({ length: G }, (_, i) => [i])
  for (const b of blocks) for (const i of b) rowsMask[i] = [...b]
  const rowPtr = new Int32Array(G + 1)
  rowsMask.forEach((r, i) => (rowPtr[i + 1] = rowPtr[i] + r.length))
  const colIdx = Int32Array.from(rowsMask.flat())
  const withKnowledge = options.withKnowledge ?? true
  return {
    datasetId: 1,
    genes,
    expression,
    conditions,
    controlMean,
    knowledge: withKnowledge
      ? {
          release: 'test',
          pertGenes,
          goEdges: { source: Int32Array.from(src), target: Int32Array.from(dst), weight: new Float32Array(src.length).fill(0.5) },
          mask: { size: G, rowPtr, colIdx, density: colIdx.length / (G * G), withoutPathway: 4, withoutPathwayGenes: Int32Array.from([G - 4, G - 3, G - 2, G - 1]) },
        }
      : { release: null, pertGenes: genes.slice(0, nSingles), goEdges: null, mask: null },
  }
}

export function toCsr(rows: Float32Array[], nCols: number): CsrArrays {
  const indptr = new Int32Array(rows.length + 1)
  const idx: number[] = []
  const data: number[] = []
  rows.forEach((r, i) => {
    for (let g = 0; g < nCols; g++) {
      if (r[g] !== 0) {
        idx.push(g)
        data.push(r[g])
      }
    }
    indptr[i + 1] = idx.length
  })
  return { nRows: rows.length, nCols, indptr, indices: Int32Array.from(idx), data: Float32Array.from(data) }
}

/** Per-gene GO term and L1 pathway id lists as KnowledgeData.annotations (sorted CSR lists). */
export function annotationsOf(go: number[][], l1: number[][]): NonNullable<TrainingData['knowledge']['annotations']> {
  const csr = (lists: number[][]) => {
    const ptr = new Int32Array(lists.length + 1)
    const items: number[] = []
    lists.forEach((l, i) => {
      items.push(...[...l].sort((a, b) => a - b))
      ptr[i + 1] = items.length
    })
    return { ptr, items: Int32Array.from(items) }
  }
  const g = csr(go)
  const p = csr(l1)
  return { goPtr: g.ptr, goTerms: g.items, l1Ptr: p.ptr, l1Pathways: p.items }
}

/**
 * A screen from explicit cells (rows of log expression per condition; the first condition is
 * ctrl), each perturbed condition's DE genes ranked by |mean change| over every gene, with optional
 * knowledge annotations over `genes` as the perturbation vocabulary.
 */
export function screenFromCells(
  genes: string[],
  conds: { name: string; genes: string[]; cells: ArrayLike<number>[] }[],
  knowledge: { pertGenes: string[]; annotations: NonNullable<TrainingData['knowledge']['annotations']> } | null = null,
): TrainingData {
  const G = genes.length
  const rows: Float32Array[] = []
  const cellsOf = conds.map((c) => c.cells.map((cell) => rows.push(Float32Array.from(cell)) - 1))
  const mean = (idx: number[]) => Float32Array.from({ length: G }, (_, g) => idx.reduce((s, r) => s + rows[r][g], 0) / idx.length)
  const controlMean = mean(cellsOf[0])
  const all = Int32Array.from({ length: G }, (_, g) => g)
  const conditions: ConditionData[] = conds.map((c, i) => {
    const cells = Int32Array.from(cellsOf[i])
    if (!c.genes.length) return { condition: c.name, genes: [], cells, de: null }
    const m = mean(cellsOf[i])
    const ranking = Int32Array.from(all).sort((a, b) => Math.abs(m[b] - controlMean[b]) - Math.abs(m[a] - controlMean[a]) || a - b)
    return { condition: c.name, genes: c.genes, cells, de: { ranking, nonZerosGeneIdx: all, nonDropoutGeneIdx: all, topNonDropoutDe20: ranking.slice(0, 20), topNonZeroDe20: ranking.slice(0, 20) } }
  })
  return {
    datasetId: 1,
    genes,
    expression: toCsr(rows, G),
    conditions,
    controlMean,
    knowledge: knowledge ? { release: 'test', pertGenes: knowledge.pertGenes, goEdges: null, mask: null, annotations: knowledge.annotations } : { release: null, pertGenes: genes, goEdges: null, mask: null },
  }
}
