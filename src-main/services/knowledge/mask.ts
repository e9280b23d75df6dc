import type { ReactomeNet } from './reactome-net'

/**
 * The BioDSNN attention mask (docs/ml-engine.md §2) for an ordered gene list: positions i and j may
 * attend to each other iff their genes share a pathway of the chosen level; every position
 * attends to itself; genes without any such pathway may attend to their co-expression
 * neighbours when a co-expression graph is given. Built sparse, as symmetric CSR.
 */

export type MaskLevel = { kind: 'l1' } | { kind: 'max-genes'; maxGenes: number }

export interface MaskOptions {
  level?: MaskLevel
  /**
   * Co-expression neighbours by list position (e.g. from `coexpressionGraph`). Only used for
   * positions whose gene has no pathway of the chosen level; each such edge is made symmetric.
   */
  coexpression?: { source: ArrayLike<number>; target: ArrayLike<number> }
}

export interface SparseMask {
  size: number
  /** CSR over list positions, symmetric, diagonal included, columns sorted (the shape of ml's AttentionMask) */
  rowPtr: Int32Array
  colIdx: Int32Array
  /** allowed entries (directed, diagonal included) / size² */
  density: number
  /** list positions whose gene has no pathway of the chosen level (or is not in the knowledge base) */
  withoutPathway: number[]
}

/**
 * `genes[i]` is the knowledge-base gene index at list position i, or -1 when the gene is
 * unknown. Positions repeating a gene attend to each other like any two genes sharing a pathway.
 */
export function attentionMask(net: ReactomeNet, genes: ArrayLike<number>, options: MaskOptions = {}): SparseMask {
  const level = options.level ?? { kind: 'l1' }
  const size = genes.length
  // pathway → list positions whose gene it qualifies for
  const members = new Map<number, number[]>()
  const groupsOf: number[][] = []
  const withoutPathway: number[] = []
  for (let i = 0; i < size; i++) {
    const g = genes[i]
    const groups = g < 0 ? [] : qualifyingPathways(net, g, level)
    groupsOf.push(groups)
    if (groups.length === 0) withoutPathway.push(i)
    for (const p of groups) {
      let list = members.get(p)
      if (!list) members.set(p, (list = []))
      list.push(i)
    }
  }

  const extra: number[][] = Array.from({ length: size }, () => [])
  if (options.coexpression && withoutPathway.length) {
    const lonely = new Uint8Array(size)
    for (const i of withoutPathway) lonely[i] = 1
    const { source, target } = options.coexpression
    for (let e = 0; e < source.length; e++) {
      const a = source[e]
      const b = target[e]
      if (a === b || a < 0 || b < 0 || a >= size || b >= size) continue
      if (lonely[a] || lonely[b]) {
        extra[a].push(b)
        extra[b].push(a)
      }
    }
  }

  const stamp = new Int32Array(size).fill(-1)
  const rowPtr = new Int32Array(size + 1)
  const rows: Int32Array[] = []
  let nnz = 0
  for (let i = 0; i < size; i++) {
    const row: number[] = [i]
    stamp[i] = i
    for (const p of groupsOf[i]) {
      for (const j of members.get(p)!) {
        if (stamp[j] !== i) {
          stamp[j] = i
          row.push(j)
        }
      }
    }
    for (const j of extra[i]) {
      if (stamp[j] !== i) {
        stamp[j] = i
        row.push(j)
      }
    }
    const sorted = Int32Array.from(row).sort()
    rows.push(sorted)
    nnz += sorted.length
    rowPtr[i + 1] = nnz
  }
  const colIdx = new Int32Array(nnz)
  rows.forEach((r, i) => colIdx.set(r, rowPtr[i]))
  return { size, rowPtr, colIdx, density: size ? nnz / (size * size) : 0, withoutPathway }
}

function qualifyingPathways(net: ReactomeNet, g: number, level: MaskLevel): number[] {
  if (level.kind === 'l1') return net.l1Pathways(g)
  return net
    .pathwaysOfGene(g)
    .map((h) => h.pathway)
    .filter((p) => net.allGenes(p).length <= level.maxGenes)
}

/** Unordered off-diagonal pairs [i, j] with i < j, the mask's compact listing. */
export function maskPairs(mask: SparseMask): [number, number][] {
  const pairs: [number, number][] = []
  for (let i = 0; i < mask.size; i++) {
    for (let k = mask.rowPtr[i]; k < mask.rowPtr[i + 1]; k++) {
      const j = mask.colIdx[k]
      if (j > i) pairs.push([i, j])
    }
  }
  return pairs
}
