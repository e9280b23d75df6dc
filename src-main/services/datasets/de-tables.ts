/**
 * DE tables a biologist reads: every gene of a condition tested against control (Welch t-test,
 * two-sided p, Benjamini–Hochberg across the condition's genes, scanpy's log2 fold change), the
 * perturbed genes' own knockdown (per guide when the cells carry one), and the condition × gene
 * heatmap of the top DE genes of many conditions, clustered both ways.
 *
 * Tests are computed from one pass of group sums over the stored matrix and kept per loaded
 * dataset (a WeakMap on the PreparedDataset, so they go when the dataset leaves the cache).
 */
import type { DeGene, DeHeatmap, DeTestResult, TargetKnockdown } from '../../../src-shared/contract'
import { DE_SIGNIFICANCE, DE_TEST } from '../../../src-shared/domain/differential-expression'
import { correlationOrder } from '../../../src-shared/domain/clustering'
import { benjaminiHochberg } from '../../../src-shared/domain/statistics'
import { groupMeanVar, groupSums, log2FoldChange, welchTTest, type GroupSums } from './de'
import { guidesOf } from '../design/guide-knockdown'
import { guideKnockdown, percentOfControl } from './guides'
import type { PreparedDataset } from './prepared-dataset'

export interface ConditionTests {
  t: Float64Array
  p: Float64Array
  pAdjusted: Float64Array
  log2FoldChange: Float64Array
  /** gene indices by adjusted p, then |t| descending, then gene order */
  order: Int32Array
  /** genes with adjusted p < DE_SIGNIFICANCE.pAdjusted */
  significant: number
}

interface DatasetTests {
  sums: GroupSums
  control: { mean: Float64Array; variance: Float64Array }
  byCondition: Map<number, ConditionTests>
}

const cache = new WeakMap<PreparedDataset, DatasetTests>()

function testsOf(ds: PreparedDataset): DatasetTests {
  let tests = cache.get(ds)
  if (!tests) {
    const sums = groupSums(ds.X, ds.cellCondition, ds.conditions.length)
    tests = { sums, control: groupMeanVar(sums, 0), byCondition: new Map() }
    cache.set(ds, tests)
  }
  return tests
}

/** The Welch t-test of every gene of condition `index` (a perturbed condition) against control. */
export function conditionTests(ds: PreparedDataset, index: number): ConditionTests {
  const all = testsOf(ds)
  const hit = all.byCondition.get(index)
  if (hit) return hit
  const { sums, control } = all
  const g = groupMeanVar(sums, index)
  const n = sums.cells[index]
  const nc = sums.cells[0]
  const { t, p } = n > 1 && nc > 1 ? welchTTest(g.mean, g.variance, n, control.mean, control.variance, nc) : { t: new Float64Array(sums.nGenes), p: new Float64Array(sums.nGenes).fill(1) }
  const pAdjusted = benjaminiHochberg(p)
  const lfc = Float64Array.from(g.mean, (m, j) => log2FoldChange(m, control.mean[j]))
  const order = Int32Array.from({ length: sums.nGenes }, (_, j) => j).sort((a, b) => pAdjusted[a] - pAdjusted[b] || Math.abs(t[b]) - Math.abs(t[a]) || a - b)
  let significant = 0
  for (const q of pAdjusted) if (q < DE_SIGNIFICANCE.pAdjusted) significant++
  const result = { t, p, pAdjusted, log2FoldChange: lfc, order, significant }
  all.byCondition.set(index, result)
  return result
}

/**
 * Every perturbed condition's tests, computed a few conditions at a time with a yield to the event
 * loop in between: a 300-condition × 5,000-gene screen takes seconds (1.5 M t-distribution tails),
 * and the main process keeps answering meanwhile. Cached like `conditionTests`.
 */
export async function allConditionTests(ds: PreparedDataset): Promise<Map<number, ConditionTests>> {
  const out = new Map<number, ConditionTests>()
  let work = 0
  for (let i = 1; i < ds.conditions.length; i++) {
    if (!ds.conditions[i].de) continue
    if (work > 200_000) {
      await new Promise((resolve) => setImmediate(resolve))
      work = 0
    }
    const cached = testsOf(ds).byCondition.has(i)
    out.set(i, conditionTests(ds, i))
    if (!cached) work += ds.genes.symbol.length
  }
  return out
}

export function testResult(ds: PreparedDataset, tests: ConditionTests, gene: number): DeTestResult {
  return { gene: ds.genes.symbol[gene], log2FoldChange: tests.log2FoldChange[gene], pValue: tests.p[gene], pAdjusted: tests.pAdjusted[gene] }
}

/** One row of a DE table. */
export function deGene(ds: PreparedDataset, index: number, tests: ConditionTests, gene: number): DeGene {
  const G = ds.genes.symbol.length
  const mean = ds.conditionMeans[index * G + gene]
  return {
    ...testResult(ds, tests, gene),
    score: tests.t[gene],
    meanCondition: mean,
    meanControl: ds.controlMean[gene],
    change: mean - ds.controlMean[gene],
  }
}

/**
 * Each perturbed gene of condition `index`: its own expression against control, overall and per
 * guide. The share of control expression left (mean normalised counts over control's) is the guide
 * plan's measure (`design/guide-knockdown.ts`), and for a single gene its numbers are taken from
 * there, so the Datasets and Design screens agree; the per-guide mean and Welch p-value come from
 * `guides.ts` on the same cells.
 */
export function targetKnockdown(ds: PreparedDataset, index: number, tests: ConditionTests): TargetKnockdown[] {
  const c = ds.conditions[index]
  const symbolIndex = new Map(ds.genes.symbol.map((s, j) => [s, j]))
  // The guide plan's knockdown is per gene alone (the condition `A+ctrl`).
  const plan = c.genes.length === 1 ? guidesOf(ds, '', c.genes).genes.get(c.genes[0]) : undefined
  const rows: number[] = []
  const controlRows: number[] = []
  for (let r = 0; r < ds.cellCondition.length; r++) {
    if (ds.cellCondition[r] === index) rows.push(r)
    else if (ds.cellCondition[r] === 0) controlRows.push(r)
  }
  const G = ds.genes.symbol.length
  const pct = (share: number | null | undefined, fallback: () => number) => (share === undefined || share === null ? fallback() : 100 * share)
  return c.genes.map((gene) => {
    const j = symbolIndex.get(gene)
    if (j === undefined) return { gene, measured: false, meanCondition: null, meanControl: null, percentOfControl: null, log2FoldChange: null, pAdjusted: null, guides: [] }
    const remaining = new Map((plan?.guides ?? []).map((g) => [g.guide, g.knockdown?.remaining]))
    const guides = ds.cellGuides
      ? guideKnockdown(ds.X, ds.cellGuides.guides, rows, controlRows, j).map((g) => ({ ...g, percentOfControl: pct(remaining.get(g.guide), () => g.percentOfControl) }))
      : []
    return {
      gene,
      measured: true,
      meanCondition: ds.conditionMeans[index * G + j],
      meanControl: ds.controlMean[j],
      percentOfControl: pct(plan?.knockdown?.remaining, () => percentOfControl(ds.X, rows, controlRows, j)),
      log2FoldChange: tests.log2FoldChange[j],
      pAdjusted: tests.pAdjusted[j],
      guides,
    }
  })
}

export interface HeatmapOptions {
  genesPerCondition: number
  maxGenes: number
  maxConditions: number
}

/**
 * The condition × gene heatmap: conditions with at least 2 cells (those with the most DE genes
 * when there are more than `maxConditions`); of each, its `genesPerCondition` non-dropout genes
 * (GEARS' sense: not lost from every cell of the condition) with the smallest adjusted p below the
 * cut (the largest |t| when no condition has a gene below it); genes ranked by how often and how
 * strongly they come up, at most `maxGenes`. Rows and columns are ordered by average-linkage
 * clustering on correlation distance (1 − Pearson r of the log2 fold changes, clipped to ±3).
 */
export async function deHeatmap(ds: PreparedDataset, datasetId: number, options: HeatmapOptions): Promise<DeHeatmap> {
  const all = await allConditionTests(ds)
  const perturbed = ds.conditions.flatMap((c, i) => (c.genes.length > 0 && c.cells >= 2 && all.has(i) ? [i] : []))
  const tested = perturbed.map((i) => ({ i, tests: all.get(i)! }))
  const chosen = [...tested].sort((a, b) => b.tests.significant - a.tests.significant || a.i - b.i).slice(0, options.maxConditions).sort((a, b) => a.i - b.i)
  // Each condition votes for its top genes; a gene's score is its votes, then its best rank.
  const votes = new Map<number, { n: number; best: number }>()
  // Only genes that pass the cut somewhere, unless no condition has any (then the top |t|).
  const anyPassing = chosen.some(({ tests }) => tests.significant > 0)
  for (const { i, tests } of chosen) {
    // GEARS' non-dropout genes only: a gene that control cells express and none of the condition's
    // do passes a t-test trivially (no variance in the condition) but says more about sampling.
    const nonDropout = new Set(ds.conditions[i].de?.nonDropoutGeneIdx ?? [])
    const candidates = Array.from(tests.order).filter((j) => nonDropout.has(j))
    const passing = candidates.filter((j) => tests.pAdjusted[j] < DE_SIGNIFICANCE.pAdjusted)
    const top = (anyPassing ? passing : candidates).slice(0, options.genesPerCondition)
    top.forEach((j, rank) => {
      const v = votes.get(j) ?? { n: 0, best: Infinity }
      v.n++
      v.best = Math.min(v.best, rank)
      votes.set(j, v)
    })
  }
  const genes = [...votes.entries()].sort((a, b) => b[1].n - a[1].n || a[1].best - b[1].best || a[0] - b[0]).slice(0, options.maxGenes).map(([j]) => j)
  const lfc = chosen.map(({ tests }) => genes.map((j) => tests.log2FoldChange[j]))
  const padj = chosen.map(({ tests }) => genes.map((j) => tests.pAdjusted[j]))
  // Clustered on fold changes clipped to ±CLUSTER_CLIP: a gene no cell of a condition expresses
  // (log2 fold change about −25) would otherwise decide every correlation it enters.
  const clipped = lfc.map((row) => row.map((v) => Math.max(-CLUSTER_CLIP, Math.min(CLUSTER_CLIP, v))))
  const rowOrder = correlationOrder(clipped)
  const colOrder = correlationOrder(genes.map((_, k) => clipped.map((row) => row[k])))
  return {
    datasetId,
    conditions: rowOrder.map((r) => ds.conditions[chosen[r].i].condition),
    genes: colOrder.map((k) => ds.genes.symbol[genes[k]]),
    values: rowOrder.map((r) => colOrder.map((k) => round(lfc[r][k]))),
    pAdjusted: rowOrder.map((r) => colOrder.map((k) => padj[r][k])),
    method: `${DE_TEST}. Up to ${options.genesPerCondition} genes with adjusted p < ${DE_SIGNIFICANCE.pAdjusted} from each condition, at most ${options.maxGenes} genes; rows and columns ordered by average-linkage clustering on correlation distance (1 − Pearson r of the log2 fold changes, clipped to ±${CLUSTER_CLIP}).`,
    conditionsLeftOut: ds.conditions.length - 1 - chosen.length,
  }
}

/** log2 fold changes are clipped to ± this before clustering (8-fold: well past any knockdown's effect on other genes). */
const CLUSTER_CLIP = 3

const round = (v: number) => Number(v.toPrecision(5))
