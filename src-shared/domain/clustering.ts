/**
 * Hierarchical clustering for heatmap orders: average linkage (UPGMA) on a distance between
 * rows, usually the correlation distance 1 − Pearson r (rows that rise and fall together sit
 * together, whatever their size). Naive O(n³), meant for the tens of rows a heatmap shows.
 *
 * The order is deterministic: the closest pair of clusters merges first (ties: the pair whose
 * first members come first in the input), and of two merged clusters the one holding the
 * earlier input row is drawn first.
 */
import { pearson } from './statistics'

/** 1 − Pearson r of two rows; 1 (unrelated) when either row is constant. */
export function correlationDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const r = pearson(a, b)
  return Number.isNaN(r) ? 1 : 1 - r
}

export interface Dendrogram {
  /** the rows in drawing order */
  order: number[]
  /** merges in the order they happened: the two clusters' members and the height (average distance) */
  merges: { left: number[]; right: number[]; height: number }[]
}

/** Average-linkage clustering of n items given their pairwise distance. */
export function averageLinkage(n: number, distance: (i: number, j: number) => number): Dendrogram {
  if (n === 0) return { order: [], merges: [] }
  const d: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0))
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = distance(i, j)
      d[i][j] = d[j][i] = Number.isFinite(v) ? v : Number.MAX_VALUE
    }
  }
  const clusters = Array.from({ length: n }, (_, i) => ({ members: [i], first: i }))
  const active = clusters.map((_, i) => i)
  const merges: Dendrogram['merges'] = []
  while (active.length > 1) {
    let best = Infinity
    let ba = -1
    let bb = -1
    for (let x = 0; x < active.length; x++) {
      for (let y = x + 1; y < active.length; y++) {
        const v = d[active[x]][active[y]]
        const a = active[x]
        const b = active[y]
        if (v < best || (v === best && tieBefore(clusters[a].first, clusters[b].first, clusters[ba]?.first, clusters[bb]?.first))) {
          best = v
          ba = a
          bb = b
        }
      }
    }
    const [a, b] = clusters[ba].first < clusters[bb].first ? [ba, bb] : [bb, ba]
    const ca = clusters[a]
    const cb = clusters[b]
    merges.push({ left: ca.members, right: cb.members, height: best })
    // Lance–Williams update for average linkage: the merged cluster's distance to k is the size-weighted mean.
    for (const k of active) {
      if (k === a || k === b) continue
      const v = (d[a][k] * ca.members.length + d[b][k] * cb.members.length) / (ca.members.length + cb.members.length)
      d[a][k] = d[k][a] = v
    }
    clusters[a] = { members: [...ca.members, ...cb.members], first: Math.min(ca.first, cb.first) }
    active.splice(active.indexOf(b), 1)
  }
  return { order: clusters[active[0]].members, merges }
}

function tieBefore(a: number, b: number, ba: number | undefined, bb: number | undefined): boolean {
  if (ba === undefined || bb === undefined) return true
  const [x1, y1] = a < b ? [a, b] : [b, a]
  const [x2, y2] = ba < bb ? [ba, bb] : [bb, ba]
  return x1 < x2 || (x1 === x2 && y1 < y2)
}

/** The drawing order of the rows of a matrix, clustered on correlation distance. */
export function correlationOrder(rows: ArrayLike<number>[]): number[] {
  return averageLinkage(rows.length, (i, j) => correlationDistance(rows[i], rows[j])).order
}

/**
 * Euclidean distance of two rows over the columns both have (NaN elsewhere), scaled to the full
 * width as if every column differed by their mean square. Rows with nothing in common sit far
 * apart, not at zero distance.
 */
export function gappedEuclidean(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length
  let s = 0
  let k = 0
  for (let c = 0; c < n; c++) {
    if (Number.isFinite(a[c]) && Number.isFinite(b[c])) {
      s += (a[c] - b[c]) ** 2
      k++
    }
  }
  return k ? Math.sqrt((s / k) * n) : Number.MAX_VALUE / 4
}

/** The drawing order of the rows of a square score matrix with gaps (a pair map), clustered on gappedEuclidean. */
export function euclideanOrder(rows: ArrayLike<number>[]): number[] {
  return averageLinkage(rows.length, (i, j) => gappedEuclidean(rows[i], rows[j])).order
}
