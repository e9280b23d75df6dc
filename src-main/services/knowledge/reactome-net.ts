import { AppError } from '../../../src-shared/contract'

/**
 * ReactomeNet (docs/ml-engine.md §2): the directed pathway → sub-pathway graph with genes attached to
 * the pathways whose gene set lists them. Pathways and genes are dense indices; names live in
 * the knowledge base. Everything here is plain arrays so a query is a few array walks.
 */
export interface ReactomeNetInput {
  pathwayIds: string[]
  /** parent → child pairs, as pathway indices */
  relations: { parent: number; child: number }[]
  /** per pathway: the gene indices its gene set lists (may be empty) */
  geneSets: ArrayLike<number>[]
  nGenes: number
}

export interface GenePathwayHit {
  pathway: number
  /** minimum distance from a top-level pathway (roots are 0) */
  depth: number
  /** 1 for the lowest pathways listing the gene, 2 for their parents, … (shortest way down) */
  level: number
  /** every ancestor, nearest roots first (sorted by depth, then index) */
  ancestors: number[]
}

export class ReactomeNet {
  readonly nPathways: number
  readonly nGenes: number
  readonly parents: number[][]
  readonly children: number[][]
  readonly geneSets: Int32Array[]
  readonly depth: Int32Array
  readonly roots: number[]
  /** gene → pathways whose gene set lists it (CSR) */
  private readonly listPtr: Int32Array
  private readonly listIdx: Int32Array
  private readonly allGenesMemo = new Map<number, Int32Array>()
  private readonly ancestorsMemo = new Map<number, number[]>()

  constructor(input: ReactomeNetInput) {
    const n = input.pathwayIds.length
    this.nPathways = n
    this.nGenes = input.nGenes
    this.parents = Array.from({ length: n }, () => [])
    this.children = Array.from({ length: n }, () => [])
    for (const { parent, child } of input.relations) {
      this.parents[child].push(parent)
      this.children[parent].push(child)
    }
    for (const list of [...this.parents, ...this.children]) list.sort((a, b) => a - b)
    this.geneSets = input.geneSets.map((s) => Int32Array.from(s).sort())
    this.roots = []
    for (let p = 0; p < n; p++) if (this.parents[p].length === 0) this.roots.push(p)
    this.depth = minDepths(this.children, this.roots, n, input.pathwayIds)

    const counts = new Int32Array(this.nGenes + 1)
    for (const set of this.geneSets) for (const g of set) counts[g + 1]++
    for (let g = 0; g < this.nGenes; g++) counts[g + 1] += counts[g]
    this.listPtr = counts
    this.listIdx = new Int32Array(counts[this.nGenes])
    const fill = counts.slice(0, this.nGenes)
    this.geneSets.forEach((set, p) => {
      for (const g of set) this.listIdx[fill[g]++] = p
    })
  }

  /** Pathways whose gene set lists gene `g` directly. */
  listing(g: number): Int32Array {
    return this.listIdx.subarray(this.listPtr[g], this.listPtr[g + 1])
  }

  /** Every ancestor of a pathway (all parents' chains), sorted by depth then index. */
  ancestors(p: number): number[] {
    let memo = this.ancestorsMemo.get(p)
    if (!memo) {
      const seen = new Set<number>()
      const stack = [...this.parents[p]]
      while (stack.length) {
        const q = stack.pop()!
        if (seen.has(q)) continue
        seen.add(q)
        stack.push(...this.parents[q])
      }
      memo = [...seen].sort((a, b) => this.depth[a] - this.depth[b] || a - b)
      this.ancestorsMemo.set(p, memo)
    }
    return memo
  }

  /** Genes of a pathway's own gene set together with those of all its descendants. */
  allGenes(p: number): Int32Array {
    let memo = this.allGenesMemo.get(p)
    if (!memo) {
      const seen = new Uint8Array(this.nGenes)
      const visited = new Set<number>([p])
      const stack = [p]
      const out: number[] = []
      while (stack.length) {
        const q = stack.pop()!
        for (const g of this.geneSets[q]) {
          if (!seen[g]) {
            seen[g] = 1
            out.push(g)
          }
        }
        for (const c of this.children[q]) {
          if (!visited.has(c)) {
            visited.add(c)
            stack.push(c)
          }
        }
      }
      memo = Int32Array.from(out).sort()
      this.allGenesMemo.set(p, memo)
    }
    return memo
  }

  /** Every pathway containing gene `g`: those listing it plus all their ancestors, with depth, level and ancestors. */
  pathwaysOfGene(g: number): GenePathwayHit[] {
    const containing = new Set<number>()
    for (const p of this.listing(g)) {
      containing.add(p)
      for (const a of this.ancestors(p)) containing.add(a)
    }
    const level = new Map<number, number>()
    const levelOf = (p: number): number => {
      const known = level.get(p)
      if (known !== undefined) return known
      let best = Infinity
      for (const c of this.children[p]) if (containing.has(c)) best = Math.min(best, levelOf(c) + 1)
      // A pathway with no sub-pathway containing the gene is the lowest one listing it.
      const l = best === Infinity ? 1 : best
      level.set(p, l)
      return l
    }
    return [...containing].map((p) => ({ pathway: p, depth: this.depth[p], level: levelOf(p), ancestors: this.ancestors(p) }))
  }

  /** The lowest pathways listing gene `g` (its L1 pathways). */
  l1Pathways(g: number): number[] {
    return this.pathwaysOfGene(g)
      .filter((h) => h.level === 1)
      .map((h) => h.pathway)
      .sort((a, b) => a - b)
  }

  /** Genes sharing at least one L1 pathway with `g` (itself excluded), sorted. */
  l1Partners(g: number): number[] {
    const out = new Set<number>()
    for (const p of this.l1Pathways(g)) for (const h of this.geneSets[p]) if (h !== g) out.add(h)
    return [...out].sort((a, b) => a - b)
  }
}

/** Minimum depth from the roots by breadth-first search; refuses cycles (a pathway its own ancestor). */
function minDepths(children: number[][], roots: number[], n: number, ids: string[]): Int32Array {
  const depth = new Int32Array(n).fill(-1)
  const queue = [...roots]
  for (const r of roots) depth[r] = 0
  for (let head = 0; head < queue.length; head++) {
    const p = queue[head]
    for (const c of children[p]) {
      if (depth[c] < 0) {
        depth[c] = depth[p] + 1
        queue.push(c)
      }
    }
  }
  const unreachable = []
  for (let p = 0; p < n; p++) if (depth[p] < 0) unreachable.push(ids[p])
  if (unreachable.length) {
    throw new AppError(
      'knowledge.cycle',
      `ReactomePathwaysRelation.txt makes ${unreachable.length} pathways (e.g. ${unreachable.slice(0, 3).join(', ')}) their own ancestors, so they have no top-level pathway. Download the Reactome files again from https://reactome.org/download-data.`,
    )
  }
  assertAcyclic(children, n, ids)
  return depth
}

function assertAcyclic(children: number[][], n: number, ids: string[]): void {
  // Kahn's algorithm: a cycle reachable from a root still leaves nodes with incoming edges.
  const indeg = new Int32Array(n)
  for (const list of children) for (const c of list) indeg[c]++
  const queue: number[] = []
  for (let p = 0; p < n; p++) if (indeg[p] === 0) queue.push(p)
  for (let head = 0; head < queue.length; head++) for (const c of children[queue[head]]) if (--indeg[c] === 0) queue.push(c)
  if (queue.length < n) {
    const inCycle = []
    for (let p = 0; p < n && inCycle.length < 3; p++) if (indeg[p] > 0) inCycle.push(ids[p])
    throw new AppError(
      'knowledge.cycle',
      `ReactomePathwaysRelation.txt has a cycle of sub-pathways (involving ${inCycle.join(', ')}). Download the Reactome files again from https://reactome.org/download-data.`,
    )
  }
}
