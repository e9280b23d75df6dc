/**
 * Each guide's knockdown of its target gene: the target's expression in the guide's cells against
 * the control cells, with a Welch t-test. A guide that barely lowers its target is the first thing
 * a biologist checks when a perturbation "does nothing". The guide of each cell is kept at import
 * (`cell-guides.ts`).
 */
import type { GuideKnockdown } from '../../../src-shared/contract'
import type { CsrMatrix } from '../../io/raw-dataset'
import { log2FoldChange, welchTTest } from './de'

/** The value of gene `j` in row `r` of a CSR matrix (0 when not stored). */
function valueAt(X: CsrMatrix, r: number, j: number): number {
  for (let k = X.indptr[r]; k < X.indptr[r + 1]; k++) if (X.indices[k] === j) return X.data[k]
  return 0
}

/**
 * Per guide of the cells in `rows` (a condition's cells): the target gene's expression against the
 * control cells' (`controlRows`). Guides with fewer than 2 cells get no p-value (NaN).
 */
export function guideKnockdown(X: CsrMatrix, guides: readonly (string | null)[], rows: readonly number[], controlRows: readonly number[], gene: number): GuideKnockdown[] {
  const control = accumulate(X, controlRows, gene)
  const nc = control.n
  const controlMean = control.s / nc
  const controlVar = nc > 1 ? Math.max(0, (control.ss - control.s * controlMean) / (nc - 1)) : NaN
  const byGuide = new Map<string, number[]>()
  for (const r of rows) {
    const code = guides[r]
    if (code === null) continue
    const list = byGuide.get(code) ?? []
    list.push(r)
    byGuide.set(code, list)
  }
  return [...byGuide.entries()]
    .sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true }))
    .map(([guide, cells]) => {
      const g = accumulate(X, cells, gene)
      const mean = g.s / g.n
      const variance = g.n > 1 ? Math.max(0, (g.ss - g.s * mean) / (g.n - 1)) : NaN
      const test = g.n > 1 && nc > 1 ? welchTTest([mean], [variance], g.n, [controlMean], [controlVar], nc) : null
      return {
        guide,
        cells: g.n,
        meanTarget: mean,
        percentOfControl: shareOfControl(g, control),
        log2FoldChange: log2FoldChange(mean, controlMean),
        pValue: test ? test.p[0] : NaN,
      }
    })
}

interface Sums {
  n: number
  /** sum and sum of squares of the log-normalised values */
  s: number
  ss: number
  /** sum of the normalised counts (expm1 of the values) */
  linear: number
}

function accumulate(X: CsrMatrix, rows: readonly number[], gene: number): Sums {
  const out = { n: 0, s: 0, ss: 0, linear: 0 }
  for (const r of rows) {
    const v = valueAt(X, r, gene)
    out.n++
    out.s += v
    out.ss += v * v
    out.linear += Math.expm1(v)
  }
  return out
}

/**
 * The target's mean normalised counts in the cells as a percentage of control's — the guide plan's
 * `remaining` (design/guide-knockdown.ts) × 100, so both screens give one number. NaN when control
 * does not express the gene.
 */
function shareOfControl(cells: Sums, control: Sums): number {
  const c = control.linear / control.n
  return c > 0 ? (100 * (cells.linear / cells.n)) / c : NaN
}

/** The target's share of control expression over all of `rows` (a condition's cells), as `shareOfControl`. */
export function percentOfControl(X: CsrMatrix, rows: readonly number[], controlRows: readonly number[], gene: number): number {
  return shareOfControl(accumulate(X, rows, gene), accumulate(X, controlRows, gene))
}
