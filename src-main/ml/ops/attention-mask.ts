/**
 * The attention mask as CSR over genes (docs/ml-engine.md §2): row i lists the genes i may attend to, sorted,
 * without duplicates, self always included. Built from groups (genes sharing a lowest-level Reactome
 * pathway attend to each other) plus optional extra pairs (co-expression neighbours of genes absent
 * from Reactome).
 */
export interface AttentionMask {
  size: number
  /** rowPtr[i]..rowPtr[i+1] index colIdx for row i; length size + 1. */
  rowPtr: Int32Array
  colIdx: Int32Array
}

export interface MaskStats {
  size: number
  nnz: number
  density: number
  medianDegree: number
  maxDegree: number
  /** Rows that may attend only to themselves. */
  selfOnlyRows: number
}

/** Union of cliques over `groups`, plus `pairs` (both directions) and every self pair. */
export function maskFromGroups(size: number, groups: ArrayLike<number>[], pairs: { from: ArrayLike<number>; to: ArrayLike<number> } = { from: [], to: [] }): AttentionMask {
  const rows: number[][] = Array.from({ length: size }, (_, i) => [i])
  const stamp = new Int32Array(size).fill(-1)
  const groupsOf: number[][] = Array.from({ length: size }, () => [])
  groups.forEach((g, gi) => {
    for (let a = 0; a < g.length; a++) {
      checkIndex(g[a], size)
      groupsOf[g[a]].push(gi)
    }
  })
  const extra: number[][] = Array.from({ length: size }, () => [])
  for (let p = 0; p < pairs.from.length; p++) {
    const a = pairs.from[p]
    const b = pairs.to[p]
    checkIndex(a, size)
    checkIndex(b, size)
    extra[a].push(b)
    extra[b].push(a)
  }
  for (let i = 0; i < size; i++) {
    stamp[i] = i
    const row = rows[i]
    const add = (j: number) => {
      if (stamp[j] !== i) {
        stamp[j] = i
        row.push(j)
      }
    }
    for (const gi of groupsOf[i]) {
      const g = groups[gi]
      for (let a = 0; a < g.length; a++) add(g[a])
    }
    for (const j of extra[i]) add(j)
  }
  return maskFromRows(rows)
}

/** CSR from per-row neighbour lists; adds self, sorts and removes duplicates. */
export function maskFromRows(rows: ArrayLike<number>[]): AttentionMask {
  const size = rows.length
  const rowPtr = new Int32Array(size + 1)
  const sorted: Int32Array[] = []
  for (let i = 0; i < size; i++) {
    const r = Int32Array.from(rows[i])
    for (const j of r) checkIndex(j, size)
    const withSelf = new Int32Array(r.length + 1)
    withSelf.set(r)
    withSelf[r.length] = i
    withSelf.sort()
    let n = 0
    for (let a = 0; a < withSelf.length; a++) if (a === 0 || withSelf[a] !== withSelf[a - 1]) withSelf[n++] = withSelf[a]
    sorted.push(withSelf.subarray(0, n))
    rowPtr[i + 1] = rowPtr[i] + n
  }
  const colIdx = new Int32Array(rowPtr[size])
  sorted.forEach((r, i) => colIdx.set(r, rowPtr[i]))
  return { size, rowPtr, colIdx }
}

function checkIndex(j: number, size: number): void {
  if (!Number.isInteger(j) || j < 0 || j >= size) throw new Error(`attention mask: gene index ${j} is not in [0, ${size - 1}]`)
}

const validated = new WeakSet<AttentionMask>()

/** Checks the CSR invariants once per mask object (the ops rely on them). */
export function assertValidMask(mask: AttentionMask): void {
  if (validated.has(mask)) return
  const { size, rowPtr, colIdx } = mask
  if (rowPtr.length !== size + 1 || rowPtr[0] !== 0 || rowPtr[size] !== colIdx.length) throw new Error('attention mask: rowPtr does not match colIdx')
  for (let i = 0; i < size; i++) {
    let self = false
    if (rowPtr[i + 1] < rowPtr[i]) throw new Error(`attention mask: row ${i} has a negative length`)
    for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
      const j = colIdx[p]
      if (j < 0 || j >= size) throw new Error(`attention mask: row ${i} lists gene ${j}, outside [0, ${size - 1}]`)
      if (p > rowPtr[i] && j <= colIdx[p - 1]) throw new Error(`attention mask: row ${i} is not sorted or has duplicates`)
      if (j === i) self = true
    }
    if (!self) throw new Error(`attention mask: row ${i} does not include itself`)
  }
  validated.add(mask)
}

export function maskStats(mask: AttentionMask): MaskStats {
  const deg = new Int32Array(mask.size)
  for (let i = 0; i < mask.size; i++) deg[i] = mask.rowPtr[i + 1] - mask.rowPtr[i]
  const sorted = Int32Array.from(deg).sort()
  const nnz = mask.colIdx.length
  return {
    size: mask.size,
    nnz,
    density: nnz / (mask.size * mask.size),
    medianDegree: sorted[Math.floor(mask.size / 2)] ?? 0,
    maxDegree: sorted[mask.size - 1] ?? 0,
    selfOnlyRows: deg.reduce((a, d) => a + (d === 1 ? 1 : 0), 0),
  }
}

/** Additive dense mask (0 allowed, −∞ elsewhere), row-major size × size. For tests and scale only. */
export function denseAdditiveMask(mask: AttentionMask): Float32Array {
  const out = new Float32Array(mask.size * mask.size).fill(-Infinity)
  for (let i = 0; i < mask.size; i++) for (let p = mask.rowPtr[i]; p < mask.rowPtr[i + 1]; p++) out[i * mask.size + mask.colIdx[p]] = 0
  return out
}

/**
 * A random mask shaped like Reactome's lowest-level pathways: heavy-tailed pathway sizes, genes with
 * skewed membership (a few hubs sit in many pathways, many genes in none), pathways added until the
 * mask holds about `targetNnz` entries. For tests and benchmarks.
 */
export function randomPathwayMask(size: number, targetNnz: number, rand: () => number, options: { medianPathway?: number; maxPathway?: number; hubExponent?: number; maxPropensity?: number } = {}): AttentionMask {
  const medianPathway = options.medianPathway ?? 12
  // Defaults measured at 5,045 genes / 300 k entries: median degree ~34, max ~640, ~30 % self-only rows.
  const maxPathway = Math.min(size, options.maxPathway ?? 300)
  const hubExponent = options.hubExponent ?? 1.5
  const maxPropensity = options.maxPropensity ?? 15
  // Membership propensity ~ Pareto, sampled through its cumulative sum.
  const cum = new Float64Array(size)
  let total = 0
  for (let g = 0; g < size; g++) {
    total += Math.min(maxPropensity, Math.pow(1 - rand(), -1 / hubExponent))
    cum[g] = total
  }
  const pick = () => {
    const u = rand() * total
    let lo = 0
    let hi = size - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cum[mid] < u) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const words = Math.ceil(size / 32)
  const bits = new Uint32Array(size * words)
  let nnz = size
  for (let i = 0; i < size; i++) bits[i * words + (i >> 5)] |= 1 << (i & 31)
  const members = new Int32Array(maxPathway)
  const inGroup = new Uint8Array(size)
  let guard = 0
  while (nnz < targetNnz && guard++ < 1e6) {
    // Log-normal pathway size around the median, clipped to [2, maxPathway].
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
    const want = Math.max(2, Math.min(maxPathway, Math.round(medianPathway * Math.exp(0.9 * z))))
    let n = 0
    for (let tries = 0; n < want && tries < want * 20; tries++) {
      const g = pick()
      if (!inGroup[g]) {
        inGroup[g] = 1
        members[n++] = g
      }
    }
    for (let a = 0; a < n; a++) {
      inGroup[members[a]] = 0
      const base = members[a] * words
      for (let b = 0; b < n; b++) {
        const j = members[b]
        const w = base + (j >> 5)
        const m = 1 << (j & 31)
        if (!(bits[w] & m)) {
          bits[w] |= m
          nnz++
        }
      }
    }
  }
  const rowPtr = new Int32Array(size + 1)
  const colIdx = new Int32Array(nnz)
  let p = 0
  for (let i = 0; i < size; i++) {
    for (let w = 0; w < words; w++) {
      let word = bits[i * words + w]
      while (word !== 0) {
        const t = word & -word
        colIdx[p++] = w * 32 + 31 - Math.clz32(t)
        word ^= t
      }
    }
    rowPtr[i + 1] = p
  }
  return { size, rowPtr, colIdx }
}
