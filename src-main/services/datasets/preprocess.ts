/**
 * From a reader's RawDataset to a PreparedDataset (docs/ml-engine.md §1): raw-count detection →
 * normalize_total + log1p → seurat HVG (5,000) ∪ measured perturbed genes → per-condition Welch
 * DE vs control with GEARS' non-zero / non-dropout gene sets. All on CSR; cells × genes is never
 * densified.
 */
import { AppError } from '../../../src-shared/contract/envelope'
import { canonicalCondition, conditionGenes, CONTROL } from '../../../src-shared/domain/conditions'
import type { CsrMatrix, GearsUns, RawDataset } from '../../io/raw-dataset'
import { subsetColumns, subsetRows } from '../../io/csr'
import { gearsDeEntry, groupMeanVar, groupSums, rankByAbs, welchT } from './de'
import { highlyVariableGenesSeurat } from './hvg'
import { detectValues, log1p, normalizeTotal } from './normalise'
import type { ConditionStats, DeEntry, HvgInfo, Normalisation, PreparedDataset } from './prepared-dataset'
import { listSome } from '../../../src-shared/domain/list-some'

export type PreprocessStage = 'checking' | 'normalising' | 'selecting-genes' | 'differential-expression'

export interface PreprocessOptions {
  /** canonical condition (or any GEARS spelling) per cell of `raw.X`; null leaves the cell out */
  conditions: readonly (string | null)[]
  /** highly variable genes to keep (scanpy/GEARS: 5,000); datasets with no more genes keep all */
  nTopGenes?: number
  /**
   * The caller hands `raw`'s matrices over: they are normalised and subset in place (their values
   * are not kept), so the stored values exist once, not two or three times. Importing a 300 k-cell
   * screen needs this to stay within a workstation's memory.
   */
  consume?: boolean
  signal?: AbortSignal
  onProgress?: (stage: PreprocessStage, fraction: number) => void
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

function checkCancelled(signal: AbortSignal | undefined) {
  if (signal?.aborted) throw new AppError('dataset.cancelled', 'Preprocessing was cancelled; nothing was stored.')
}

export function preprocessDataset(raw: RawDataset, options: PreprocessOptions): PreparedDataset {
  const nTopGenes = options.nTopGenes ?? 5000
  const progress = options.onProgress ?? (() => {})
  const file = raw.source.path
  const warnings: string[] = []
  progress('checking', 0)

  if (raw.X.nRows === 0 || raw.X.nCols === 0) throw new AppError('dataset.empty', `${file} has ${raw.X.nRows} cells × ${raw.X.nCols} genes; there is nothing to import.`)
  if (raw.X.data.length === 0) throw new AppError('dataset.empty', `X of ${file} holds no non-zero value; check that the file holds the expression matrix.`)
  if (options.conditions.length !== raw.X.nRows) {
    throw new AppError('dataset.condition-count', `${options.conditions.length} conditions were given for the ${raw.X.nRows} cells of ${file}; map the condition column for every cell.`)
  }

  // Canonical conditions; ctrl first, the rest in code-unit order.
  const canonical = new Map<string, string>()
  const cellNames: (string | null)[] = options.conditions.map((c) => {
    if (c == null) return null
    let name = canonical.get(c)
    if (name === undefined) canonical.set(c, (name = canonicalCondition(c)))
    return name
  })
  const names = [...new Set(canonical.values())].sort((a, b) => (a === CONTROL ? -1 : b === CONTROL ? 1 : byCodeUnit(a, b)))
  if (names[0] !== CONTROL) {
    throw new AppError('dataset.no-control-cells', `No cell of ${file} is a control cell. Pick the control label(s) of the condition column (e.g. "non-targeting", "NT", "ctrl").`)
  }
  const conditionIndex = new Map(names.map((n, i) => [n, i]))
  const keptRows: number[] = []
  for (let r = 0; r < cellNames.length; r++) if (cellNames[r] !== null) keptRows.push(r)
  const droppedCells = raw.X.nRows - keptRows.length
  const cellCondition = Int32Array.from(keptRows, (r) => conditionIndex.get(cellNames[r]!)!)
  if (droppedCells > 0) warnings.push(`${droppedCells} cells without a mapped condition were left out.`)

  // Which matrix, and what it holds.
  const labels = { rows: raw.cells, cols: raw.genes.symbol }
  const xKind = detectValues(raw.X, { ...labels, what: `X of ${file}` })
  let source: CsrMatrix = raw.X
  let normalisation: Normalisation = { detected: xKind.kind, applied: 'none', matrix: 'X', targetSum: null }
  if (xKind.kind === 'log-normalised' && raw.counts) {
    const countsKind = detectValues(raw.counts, { ...labels, what: `layers/counts of ${file}` })
    if (countsKind.kind === 'raw-counts') {
      source = raw.counts
      normalisation = { ...normalisation, detected: 'raw-counts', matrix: 'layers/counts' }
    }
  }
  if (normalisation.detected === 'log-normalised' && xKind.max > 30) {
    warnings.push(`X of ${file} is not integer, so it was taken as log-normalised, but its largest value is ${xKind.max.toFixed(1)}: check that it is log1p-transformed.`)
  }
  checkCancelled(options.signal)

  progress('normalising', 0.1)
  let X = droppedCells > 0 ? subsetRows(source, Int32Array.from(keptRows)) : source
  // X's arrays are ours to overwrite: a fresh row subset, or the reader's handed over
  const owned = droppedCells > 0 || options.consume === true
  if (normalisation.detected === 'raw-counts') {
    const n = normalizeTotal(X, undefined, owned)
    X = log1p(n.matrix, true)
    normalisation = { ...normalisation, applied: 'normalize_total+log1p', targetSum: n.targetSum }
  } else if (X === raw.X && !owned) {
    X = { ...X, data: raw.X.data.slice() } // never hand out the reader's arrays as ours
  }
  checkCancelled(options.signal)

  // Genes: HVG ∪ measured perturbed genes.
  progress('selecting-genes', 0.3)
  const symbolIndex = firstIndex(raw.genes.symbol)
  const idIndex = firstIndex(raw.genes.id)
  const perturbed = [...new Set(names.flatMap((n) => conditionGenes(n)))].sort(byCodeUnit)
  const perturbedMeasured = new Map<string, number>()
  const perturbedGenesNotMeasured: string[] = []
  for (const g of perturbed) {
    const j = symbolIndex.get(g) ?? idIndex.get(g)
    if (j === undefined) perturbedGenesNotMeasured.push(g)
    else perturbedMeasured.set(g, j)
  }
  const hasUnsDe = raw.uns?.rank_genes_groups_cov_all !== undefined && Object.keys(raw.uns.rank_genes_groups_cov_all).length > 0
  let hvg: HvgInfo
  let selected: Int32Array
  if (hasUnsDe || X.nCols <= nTopGenes) {
    selected = Int32Array.from({ length: X.nCols }, (_, j) => j)
    const keptAllReason = hasUnsDe ? 'the file is GEARS-processed (it carries DE entries), so its genes are already selected' : `the dataset has ${X.nCols} genes, no more than ${nTopGenes}`
    hvg = { applied: false, nTopGenes, highlyVariable: 0, perturbedAdded: [], keptAllReason }
  } else {
    const result = highlyVariableGenesSeurat(X, { nTopGenes })
    const keep = result.highlyVariable.slice()
    const perturbedAdded: string[] = []
    for (const [g, j] of perturbedMeasured) {
      if (!keep[j]) perturbedAdded.push(g)
      keep[j] = 1
    }
    const highlyVariable = result.highlyVariable.reduce((s, v) => s + v, 0)
    selected = Int32Array.from(Array.from(keep).flatMap((v, j) => (v ? [j] : [])))
    X = subsetColumns(X, selected, owned)
    hvg = { applied: true, nTopGenes, highlyVariable, perturbedAdded, keptAllReason: null }
  }
  const genes = { id: Array.from(selected, (j) => raw.genes.id[j]), symbol: Array.from(selected, (j) => raw.genes.symbol[j]) }
  const duplicated = genes.symbol.length - new Set(genes.symbol).size
  if (duplicated > 0) warnings.push(`${duplicated} gene symbols occur more than once; perturbations match the first of each.`)
  checkCancelled(options.signal)

  // Per-condition statistics in one pass, then DE.
  progress('differential-expression', 0.5)
  const G = X.nCols
  const sums = groupSums(X, cellCondition, names.length)
  const conditionMeans = new Float32Array(names.length * G)
  for (let i = 0; i < sums.sums.length; i++) conditionMeans[i] = sums.sums[i] / sums.cells[Math.floor(i / G)]
  const ctrl = groupMeanVar(sums, 0)
  const controlMean = Float32Array.from(ctrl.mean)

  const fromUns = hasUnsDe ? deFromGearsUns(raw.uns!, raw.genes.id, selected, names, (c) => meanOf(sums, c), ctrl.mean, warnings) : new Map<number, DeEntry>()
  const fewCells: string[] = []
  const conditions: ConditionStats[] = names.map((condition, c) => {
    if (c > 0 && c % 16 === 0) {
      checkCancelled(options.signal)
      progress('differential-expression', 0.5 + (0.5 * c) / names.length)
    }
    const base = { condition, genes: conditionGenes(condition), cells: sums.cells[c] }
    if (c === 0) return { ...base, de: null }
    if (sums.cells[c] < 2) fewCells.push(condition)
    let de = fromUns.get(c)
    if (!de) {
      const g = groupMeanVar(sums, c)
      const t = welchT(g.mean, g.variance, sums.cells[c], ctrl.mean, ctrl.variance, sums.cells[0])
      de = gearsDeEntry(rankByAbs(t), Float32Array.from(t), g.mean, ctrl.mean)
    }
    return { ...base, de }
  })
  if (sums.cells[0] < 2) warnings.push('Only one control cell: Welch t-tests need two, so every DE score is 0.')
  if (fewCells.length > 0) warnings.push(`${fewCells.length} conditions have a single cell, so their DE scores are all 0: ${listSome(fewCells, 10)}.`)
  const computed = names.length - 1 - fromUns.size
  const deSource = fromUns.size === 0 ? 'computed' : computed === 0 ? 'gears-uns' : 'gears-uns+computed'
  if (deSource === 'gears-uns+computed') warnings.push(`DE entries of ${computed} conditions were missing from the file and were computed.`)
  progress('differential-expression', 1)

  return {
    source: raw.source,
    genes,
    cells: keptRows.map((r) => raw.cells[r]),
    conditions,
    cellCondition,
    X,
    controlMean,
    conditionMeans,
    normalisation,
    hvgSelected: hvg.applied,
    hvg,
    perturbedGenesNotMeasured,
    deSource,
    droppedCells,
    warnings,
  }
}

function firstIndex(values: readonly string[]): Map<string, number> {
  const m = new Map<string, number>()
  values.forEach((v, i) => {
    if (!m.has(v)) m.set(v, i)
  })
  return m
}

function meanOf(s: ReturnType<typeof groupSums>, c: number): Float64Array {
  const out = new Float64Array(s.nGenes)
  for (let j = 0; j < s.nGenes; j++) out[j] = s.sums[c * s.nGenes + j] / s.cells[c]
  return out
}

/**
 * The condition a GEARS `uns` key names. GEARS keys are `<cell_type>_<condition>_<dose>`; cell
 * types may contain `_`, so the shortest run of parts before the dose that is one of the
 * dataset's conditions wins. A bare condition key is accepted too.
 */
export function conditionOfUnsKey(key: string, known: ReadonlyMap<string, number>): number | undefined {
  const tryParse = (text: string) => {
    try {
      return known.get(canonicalCondition(text))
    } catch {
      return undefined
    }
  }
  const parts = key.split('_')
  for (let k = parts.length - 2; k >= 1; k--) {
    const hit = tryParse(parts.slice(k, -1).join('_'))
    if (hit !== undefined) return hit
  }
  return tryParse(key)
}

/**
 * Reads a GEARS file's DE entries as they are (ids → gene indices). A condition whose entries name
 * unknown genes is left out (and computed instead), with a warning. The sets the file lacks are
 * derived from its ranking exactly as GEARS does.
 */
function deFromGearsUns(
  uns: GearsUns,
  varIds: readonly string[],
  selected: Int32Array,
  names: readonly string[],
  conditionMean: (c: number) => ArrayLike<number>,
  controlMean: Float64Array,
  warnings: string[],
): Map<number, DeEntry> {
  const known = new Map(names.map((n, i) => [n, i]))
  const toSelected = new Map<number, number>()
  selected.forEach((orig, j) => toSelected.set(orig, j))
  const idToOrig = firstIndex(varIds)
  const byIds = (ids: readonly string[] | undefined) => {
    if (!ids) return undefined
    const out = new Int32Array(ids.length)
    for (let i = 0; i < ids.length; i++) {
      const j = toSelected.get(idToOrig.get(ids[i]) ?? -1)
      if (j === undefined) throw new Error(`gene id "${ids[i]}" is not in var`)
      out[i] = j
    }
    return out
  }
  const byIdx = (idx: ArrayLike<number> | undefined) => {
    if (!idx) return undefined
    const out = new Int32Array(idx.length)
    for (let i = 0; i < idx.length; i++) {
      const j = Number.isInteger(idx[i]) ? toSelected.get(idx[i]) : undefined
      if (j === undefined) throw new Error(`gene index ${idx[i]} is outside var`)
      out[i] = j
    }
    return out
  }

  const result = new Map<number, DeEntry>()
  const unmatched: string[] = []
  for (const [key, ranking] of Object.entries(uns.rank_genes_groups_cov_all ?? {})) {
    const c = conditionOfUnsKey(key, known)
    if (c === undefined || c === 0) {
      if (c === undefined) unmatched.push(key)
      continue
    }
    try {
      const rank = byIds(ranking)!
      const derived = gearsDeEntry(rank, null, conditionMean(c), controlMean)
      result.set(c, {
        ...derived,
        nonZerosGeneIdx: byIdx(uns.non_zeros_gene_idx?.[key]) ?? derived.nonZerosGeneIdx,
        nonDropoutGeneIdx: byIdx(uns.non_dropout_gene_idx?.[key]) ?? derived.nonDropoutGeneIdx,
        topNonDropoutDe20: byIds(uns.top_non_dropout_de_20?.[key]) ?? derived.topNonDropoutDe20,
        topNonZeroDe20: byIds(uns.top_non_zero_de_20?.[key]) ?? derived.topNonZeroDe20,
      })
    } catch (err) {
      warnings.push(`The file's DE entry "${key}" was recomputed: its ${(err as Error).message}.`)
    }
  }
  if (unmatched.length > 0) warnings.push(`${unmatched.length} DE entries of the file match no condition in the data and were ignored: ${listSome(unmatched, 5)}.`)
  return result
}
