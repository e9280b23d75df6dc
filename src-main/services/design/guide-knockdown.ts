/**
 * The guides a screen used against each gene of a guide plan, and how far each lowered its
 * target's own expression (knockdown): the target's mean in the guide's cells against control
 * cells, overall and per replicate (against the control cells of the same replicate, so a
 * replicate's depth or batch shift does not read as knockdown). Read from the prepared dataset's
 * per-cell guide ids (`cellGuides`, kept at import) and its log-normalised matrix.
 */
import type { GeneGuides, GuideEfficiency, Knockdown, PlanGuideSource } from '../../../src-shared/contract'
import { formatCondition } from '../../../src-shared/domain/conditions'
import type { PreparedDataset } from '../datasets/prepared-dataset'

const natural = new Intl.Collator('en', { numeric: true }).compare
const r4 = (x: number) => Math.round(x * 1e4) / 1e4

/** Running sums of one gene over a group of cells: log values and their linear (expm1) counterpart. */
class Acc {
  n = 0
  sum = 0
  sumsq = 0
  linear = 0
  add(v: number) {
    this.n++
    this.sum += v
    this.sumsq += v * v
    this.linear += Math.expm1(v)
  }
  get mean() {
    return this.sum / this.n
  }
  get variance() {
    return this.n > 1 ? Math.max(0, (this.sumsq - this.sum * this.mean) / (this.n - 1)) : NaN
  }
}

function knockdown(guide: Acc, control: Acc): Knockdown | null {
  if (guide.n === 0 || control.n === 0) return null
  const se = guide.n > 1 && control.n > 1 ? Math.sqrt(guide.variance / guide.n + control.variance / control.n) : null
  const ctrlLinear = control.linear / control.n
  return {
    cells: guide.n,
    controlCells: control.n,
    change: r4(guide.mean - control.mean),
    se: se === null ? null : r4(se),
    remaining: ctrlLinear > 0 ? r4(guide.linear / guide.n / ctrlLinear) : null,
  }
}

/** Dense columns of the given genes over all cells (one pass over the CSR). */
function columns(ds: PreparedDataset, genes: number[]): Map<number, Float32Array> {
  const out = new Map(genes.map((g) => [g, new Float32Array(ds.cells.length)]))
  if (!out.size) return out
  const { indptr, indices, data } = ds.X
  for (let r = 0; r < ds.X.nRows; r++) {
    for (let k = indptr[r]; k < indptr[r + 1]; k++) {
      const col = out.get(indices[k])
      if (col) col[r] = data[k]
    }
  }
  return out
}

export interface PlanGuides {
  source: PlanGuideSource
  /** per gene asked for */
  genes: Map<string, GeneGuides>
}

/** The guides against each of `genes` (each gene alone), with their knockdown where the gene's own expression is measured. */
export function guidesOf(ds: PreparedDataset, datasetName: string, genes: readonly string[]): PlanGuides {
  const cg = ds.cellGuides
  const controlCells = ds.conditions[0]?.cells ?? 0
  const replicates = cg?.replicates ? [...new Set(cg.replicates.filter((r): r is string => r !== null))].sort(natural) : []
  const source: PlanGuideSource = {
    guideColumn: cg?.guideColumn ?? null,
    replicateColumn: cg?.replicateColumn ?? null,
    replicates,
    controlCells,
    note: cg
      ? null
      : `Dataset “${datasetName}” carries no guide id per cell: its file has no guide column (guide, guide_id, sgRNA, gRNA, feature_call), or it was imported before Perturb Studio kept guide ids (import it again to see them).`,
  }
  const conditionOf = new Map(ds.conditions.map((c, i) => [c.condition, i]))
  const geneIndex = new Map<string, number>()
  ds.genes.symbol.forEach((s, i) => {
    if (!geneIndex.has(s)) geneIndex.set(s, i)
  })
  const measured = [...new Set(genes.filter((g) => conditionOf.has(formatCondition([g])) && geneIndex.has(g)).map((g) => geneIndex.get(g)!))]
  const cols = columns(ds, measured)
  // Control cells, all and per replicate, once per measured gene.
  const repOf = cg?.replicates ?? null

  const result = new Map<string, GeneGuides>()
  for (const gene of genes) {
    if (result.has(gene)) continue
    const c = conditionOf.get(formatCondition([gene]))
    if (c === undefined) {
      result.set(gene, { gene, targeted: false, expressionMeasured: geneIndex.has(gene), knockdown: null, guides: [], note: `The screen never targeted ${gene}, so it has no guide to reuse or judge; design new guides for it.` })
      continue
    }
    const g = geneIndex.get(gene)
    const col = g === undefined ? null : cols.get(g)!
    const ctrlAll = new Acc()
    const ctrlRep = new Map<string, Acc>()
    const all = new Acc()
    const byGuide = new Map<string, { cells: number; all: Acc; reps: Map<string, Acc> }>()
    let unnamed = 0
    for (let cell = 0; cell < ds.cellCondition.length; cell++) {
      const k = ds.cellCondition[cell]
      if (k !== 0 && k !== c) continue
      const rep = repOf?.[cell] ?? null
      if (k === 0) {
        if (col) {
          ctrlAll.add(col[cell])
          if (rep !== null) (ctrlRep.get(rep) ?? ctrlRep.set(rep, new Acc()).get(rep)!).add(col[cell])
        }
        continue
      }
      if (col) all.add(col[cell])
      const guide = cg?.guides[cell] ?? null
      if (guide === null) {
        unnamed++
        continue
      }
      let entry = byGuide.get(guide)
      if (!entry) byGuide.set(guide, (entry = { cells: 0, all: new Acc(), reps: new Map() }))
      entry.cells++
      if (col) {
        entry.all.add(col[cell])
        if (rep !== null) (entry.reps.get(rep) ?? entry.reps.set(rep, new Acc()).get(rep)!).add(col[cell])
      }
    }
    const guides: GuideEfficiency[] = [...byGuide.entries()]
      .sort(([a], [b]) => natural(a, b))
      .map(([guide, e]) => ({
        guide,
        cells: e.cells,
        knockdown: col ? knockdown(e.all, ctrlAll) : null,
        replicates: col
          ? replicates.flatMap((r) => {
              const kd = e.reps.has(r) && ctrlRep.has(r) ? knockdown(e.reps.get(r)!, ctrlRep.get(r)!) : null
              return kd ? [{ replicate: r, ...kd }] : []
            })
          : [],
      }))
    const notes: string[] = []
    if (!col) notes.push(`${gene}'s own expression is not among the dataset's measured genes, so its knockdown cannot be measured here.`)
    if (cg && unnamed) notes.push(`${unnamed} of its ${ds.conditions[c].cells} cells have no guide id.`)
    result.set(gene, { gene, targeted: true, expressionMeasured: col !== null, knockdown: col ? knockdown(all, ctrlAll) : null, guides, note: notes.length ? notes.join(' ') : null })
  }
  return { source, genes: result }
}
