/**
 * Per-cell guide ids and replicates, kept with a prepared dataset so the guide plan can list the
 * guides a screen used and how well each knocked its target down. Optional: a file without such
 * columns, and every dataset imported before they were kept, has none.
 */
import type { ObsColumn } from '../../io/raw-dataset'

export interface CellGuides {
  /** the obs column the guide ids came from (`guide`, `sgRNA`, `feature_call`, …) */
  guideColumn: string
  /** per kept cell, in the prepared dataset's cell order; null where the cell has no guide call */
  guides: (string | null)[]
  /** the replicate (or batch) column, when the file has one */
  replicateColumn: string | null
  replicates: (string | null)[] | null
}

/** Lower-cased, letters and digits only: `sgRNA_id` → `sgrnaid`. */
const key = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '')

const GUIDE_NAMES = ['guide', 'guides', 'guideid', 'guideids', 'guideidentity', 'guidename', 'guidecall', 'guidecalls', 'sgrna', 'sgrnas', 'sgrnaid', 'sgrnaname', 'sgrnacall', 'grna', 'grnas', 'grnaid', 'grnaname', 'featurecall', 'featurecalls', 'protospacer']
const REPLICATE_NAMES = ['replicate', 'replicates', 'replicateid', 'rep', 'biologicalreplicate', 'bioreplicate', 'biorep', 'gemgroup', 'batch']

/** Values of a column as strings (numbers too: a replicate is often 1, 2, 3). */
function asStrings(col: ObsColumn): (string | null)[] {
  if (col.type === 'number') return Array.from(col.values, (v) => (Number.isNaN(v) ? null : String(v)))
  if (col.type === 'boolean') return col.values.map((v) => (v === null ? null : String(v)))
  return col.values.map((v) => (v == null || v === '' ? null : v))
}

function distinct(values: (string | null)[]): number {
  const s = new Set<string>()
  for (const v of values) if (v !== null) s.add(v)
  return s.size
}

/**
 * The guide and replicate columns of a file's cell annotations, by name (first match in the
 * order above): a guide column must hold strings with more than one value, a replicate column
 * 2–100 values and fewer than one per cell. Null when there is no guide column.
 */
export function detectGuideColumns(obs: Record<string, ObsColumn>): { guide: string; replicate: string | null } | null {
  const names = Object.keys(obs)
  const pick = (wanted: string[], ok: (values: (string | null)[], col: ObsColumn) => boolean) => {
    for (const w of wanted) {
      const name = names.find((n) => key(n) === w)
      if (name !== undefined && ok(asStrings(obs[name]), obs[name])) return name
    }
    return null
  }
  const guide = pick(GUIDE_NAMES, (v, col) => col.type === 'string' && distinct(v) > 1)
  if (guide === null) return null
  const replicate = pick(REPLICATE_NAMES, (v) => {
    const n = distinct(v)
    return n >= 2 && n <= 100 && n < v.length
  })
  return { guide, replicate }
}

/**
 * The guide (and replicate) of each kept cell, matched by cell name: `keptCells` are the prepared
 * dataset's cells, a subset of `cells` (the file's, unique) in the same order.
 */
export function cellGuidesOf(obs: Record<string, ObsColumn>, cells: readonly string[], keptCells: readonly string[]): CellGuides | null {
  const found = detectGuideColumns(obs)
  if (!found) return null
  const row = new Map(cells.map((c, i) => [c, i]))
  const pick = (name: string) => {
    const values = asStrings(obs[name])
    return keptCells.map((c) => values[row.get(c) ?? -1] ?? null)
  }
  return {
    guideColumn: found.guide,
    guides: pick(found.guide),
    replicateColumn: found.replicate,
    replicates: found.replicate ? pick(found.replicate) : null,
  }
}

/** Compact storage: distinct values once, a code per cell (−1: none). */
export interface StoredCellGuides {
  guideColumn: string
  replicateColumn: string | null
  guideLevels: string[]
  guideCodes: number[]
  replicateLevels: string[] | null
  replicateCodes: number[] | null
}

function encode(values: (string | null)[]): { levels: string[]; codes: number[] } {
  const index = new Map<string, number>()
  const codes = values.map((v) => {
    if (v === null) return -1
    let i = index.get(v)
    if (i === undefined) index.set(v, (i = index.size))
    return i
  })
  return { levels: [...index.keys()], codes }
}

export function encodeCellGuides(g: CellGuides): StoredCellGuides {
  const guides = encode(g.guides)
  const reps = g.replicates ? encode(g.replicates) : null
  return { guideColumn: g.guideColumn, replicateColumn: g.replicateColumn, guideLevels: guides.levels, guideCodes: guides.codes, replicateLevels: reps?.levels ?? null, replicateCodes: reps?.codes ?? null }
}

/** Null when the stored form is malformed for `cells` cells (the caller reports the folder as damaged). */
export function decodeCellGuides(s: StoredCellGuides, cells: number): CellGuides | null {
  const ok = (levels: unknown, codes: unknown): codes is number[] =>
    Array.isArray(levels) && Array.isArray(codes) && codes.length === cells && codes.every((c) => Number.isInteger(c) && c >= -1 && c < levels.length)
  if (typeof s?.guideColumn !== 'string' || !ok(s.guideLevels, s.guideCodes)) return null
  if (s.replicateCodes !== null && !ok(s.replicateLevels, s.replicateCodes)) return null
  const decode = (levels: string[], codes: number[]) => codes.map((c) => (c < 0 ? null : levels[c]))
  return {
    guideColumn: s.guideColumn,
    guides: decode(s.guideLevels, s.guideCodes),
    replicateColumn: s.replicateCodes ? s.replicateColumn : null,
    replicates: s.replicateCodes ? decode(s.replicateLevels!, s.replicateCodes) : null,
  }
}
