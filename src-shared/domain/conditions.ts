/**
 * GEARS condition strings and the mapping of other screen layouts onto them.
 *
 * A condition is a set of perturbed genes. GEARS writes it `ctrl` (no gene), `A+ctrl` (one gene;
 * `ctrl+A` also occurs) and `A+B` (two); we accept any set size (`A+B+C`). The canonical form
 * sorts the genes so `A+B` and `B+A` are one condition, and writes singles as `A+ctrl`.
 */
import { AppError } from '../contract/envelope'

export const CONTROL = 'ctrl'

/** Code-unit order: deterministic and locale-free, so every process agrees on the canonical form. */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const isCtrlToken = (token: string) => token.toLowerCase() === CONTROL

/** The perturbed genes of a condition: sorted, unique; [] for the control. Throws `dataset.invalid-condition`. */
export function conditionGenes(condition: string): string[] {
  const text = condition.trim()
  if (text === '') throw new AppError('dataset.invalid-condition', 'Empty condition: use "ctrl" for control cells or "A+ctrl" for a perturbation of gene A.')
  const genes = new Set<string>()
  for (const raw of text.split('+')) {
    const token = raw.trim()
    if (token === '') throw new AppError('dataset.invalid-condition', `Condition "${condition}" has an empty gene between "+" signs; write it like "A+B" or "A+ctrl".`)
    if (/\s/.test(token)) throw new AppError('dataset.invalid-condition', `Condition "${condition}" contains "${token}", which is not a gene symbol (it has spaces).`)
    if (!isCtrlToken(token)) genes.add(token)
  }
  return [...genes].sort(byCodeUnit)
}

/** Writes a gene set as its canonical condition: `ctrl`, `A+ctrl`, `A+B`, `A+B+C` (sorted). */
export function formatCondition(genes: Iterable<string>): string {
  const set = [...new Set(genes)].filter((g) => !isCtrlToken(g)).sort(byCodeUnit)
  if (set.length === 0) return CONTROL
  if (set.length === 1) return `${set[0]}+${CONTROL}`
  return set.join('+')
}

/** `B+A` → `A+B`, `ctrl+A` → `A+ctrl`. Throws `dataset.invalid-condition`. */
export function canonicalCondition(condition: string): string {
  return formatCondition(conditionGenes(condition))
}

export function isControl(condition: string): boolean {
  return conditionGenes(condition).length === 0
}

/**
 * A condition as people write it, for the screen: `STAT1+ctrl` → `STAT1`, `STAT1+IRF1` →
 * `STAT1 + IRF1` (in the order written), `ctrl` → `control`. Files and CLI JSON keep the GEARS
 * string; only displays use this. Anything that is not a condition comes back unchanged.
 */
export function conditionLabel(condition: string | readonly string[]): string {
  const tokens = typeof condition === 'string' ? condition.split('+') : [...condition]
  const genes: string[] = []
  for (const raw of tokens) {
    const token = raw.trim()
    if (token === '' || /\s/.test(token)) return typeof condition === 'string' ? condition : tokens.join(' + ')
    if (!isCtrlToken(token) && !genes.includes(token)) genes.push(token)
  }
  return genes.length === 0 ? 'control' : genes.join(' + ')
}

// ---------------------------------------------------------------------------------------------
// Control labels and column suggestions

/** Labels screens use for unperturbed cells, suggested to the user (who confirms). */
export const CONTROL_LABEL_SUGGESTIONS = ['ctrl', 'control', 'non-targeting', 'NT', 'NTC', 'safe-targeting', 'scramble', 'scrambled', 'NegCtrl']

const CONTROL_LIKE = /^(ctrl|controls?|non[-_ ]?targeting|nt|ntc|safe[-_ ]?targeting|scrambled?|neg[-_ ]?ctrl\d*|neg(ative)?[-_ ]?controls?)$/i

/** Guide names such as `STAT1g2` or `NTg10` name their target before a lowercase `g` and a number. */
const GUIDE_SUFFIX = /^(.*[A-Za-z0-9])g\d+$/

/** `STAT1g2` → `STAT1`; anything that is not a guide name comes back unchanged. */
export function guideTarget(name: string): string {
  const m = GUIDE_SUFFIX.exec(name)
  // Only strip when the remainder still looks like a symbol (uppercase or digit before the g).
  return m && /[A-Z0-9]/.test(m[1].slice(-1)) ? m[1] : name
}

/** Whether a value looks like a control label (`non-targeting`, `NT`, `NTg10`, `NegCtrl0`, …), case-insensitive. */
export function looksLikeControlLabel(value: string): boolean {
  const v = value.trim()
  return CONTROL_LIKE.test(v) || CONTROL_LIKE.test(guideTarget(v))
}

export interface LabelCount {
  label: string
  cells: number
}

/** Distinct values of a column that look like control labels, most frequent first. */
export function suggestControlLabels(values: readonly (string | null | undefined)[]): LabelCount[] {
  const counts = new Map<string, number>()
  for (const v of values) if (v != null) counts.set(v, (counts.get(v) ?? 0) + 1)
  const found: LabelCount[] = []
  for (const [label, cells] of counts) if (looksLikeControlLabel(label)) found.push({ label, cells })
  return found.sort((a, b) => b.cells - a.cells || byCodeUnit(a.label, b.label))
}

export type ConditionColumnKind = 'condition' | 'target' | 'guide'

export interface ColumnSample {
  name: string
  /** the column's values (strings or decoded categoricals); numeric columns need not be passed */
  values?: readonly (string | null | undefined)[]
}

export interface ColumnSuggestion {
  name: string
  /** higher is a better guess; only columns scoring above 0 are returned */
  score: number
  kind: ConditionColumnKind
  controlLabels: LabelCount[]
}

/** Name patterns in priority order: [pattern on the lower-cased, alphanumeric-only name, score, kind]. */
const COLUMN_NAMES: [RegExp, number, ConditionColumnKind][] = [
  [/^condition$/, 100, 'condition'],
  [/^perturbations?$/, 95, 'condition'],
  [/^(target|targets|gene|targetgene|genetarget|perturbedgene|perturbedgenes|genesymbol|targetgenes)$/, 85, 'target'],
  [/^(guide|guides|guideidentity|guideid|guideids|sgrna|sgrnas|grna|featurecall|guidetarget)$/, 70, 'guide'],
  [/perturb/, 75, 'condition'],
  [/condition/, 60, 'condition'],
  [/target|gene/, 55, 'target'],
  [/guide|sgrna|grna/, 50, 'guide'],
]

/**
 * Ranks obs columns by how likely they hold the condition (or a target/guide column to map from).
 * `condition_name` is GEARS' `<cell_type>_<condition>_<dose>` key, not a condition, so it ranks low.
 */
export function suggestConditionColumns(columns: readonly ColumnSample[]): ColumnSuggestion[] {
  const out: ColumnSuggestion[] = []
  for (const col of columns) {
    const key = col.name.toLowerCase().replace(/[^a-z0-9]/g, '')
    let score = 0
    let kind: ConditionColumnKind = 'target'
    for (const [re, s, k] of COLUMN_NAMES) {
      if (re.test(key)) {
        score = s
        kind = k
        break
      }
    }
    if (key === 'conditionname') score = 20
    const values = col.values ?? []
    const labels = suggestControlLabels(values)
    if (values.length > 0) {
      const distinct = new Set(values.filter((v) => v != null)).size
      // One value for every cell (cell_type) or a new value per cell (barcodes) cannot be a condition.
      if (distinct <= 1 || (values.length > 20 && distinct === values.length)) score -= 60
      if (labels.length > 0) score += score > 0 ? 10 : 30
      if (kind === 'target' && values.some((v) => v != null && GUIDE_SUFFIX.test(v) && guideTarget(v) !== v)) kind = 'guide'
      if (values.some((v) => v != null && /\+ctrl$|^ctrl\+/i.test(v))) kind = 'condition'
    }
    if (score > 0) out.push({ name: col.name, score, kind, controlLabels: labels })
  }
  return out.sort((a, b) => b.score - a.score || byCodeUnit(a.name, b.name))
}

// ---------------------------------------------------------------------------------------------
// Mapping a condition, target or guide column onto canonical conditions

export interface MapOptions {
  /** values (or tokens) that mean "no perturbation", compared case-insensitively; `ctrl` always counts */
  controlLabels: readonly string[]
  /** splits one value into genes; default `+`, `;`, `,`, `|` and `_` (so `A_B`, `A+B`, `A;B`) */
  separator?: string | RegExp
  /** alias → approved symbol (e.g. TMEM173 → STING1), from the knowledge files when present */
  aliases?: ReadonlyMap<string, string>
}

export interface GeneRename {
  from: string
  to: string
  /** cells whose condition contains the renamed gene */
  cells: number
}

export interface UnmappedValue {
  value: string | null
  cells: number
  reason: string
}

export interface ConditionMapping {
  /** one canonical condition per input value; null where the value could not be mapped */
  conditions: (string | null)[]
  /** cells per condition, most cells first */
  counts: { condition: string; cells: number }[]
  controlCells: number
  renames: GeneRename[]
  unmapped: UnmappedValue[]
}

const DEFAULT_SEPARATOR = /[+;,|_]/

type Mapped = { condition: string; renames: [string, string][] } | { condition: null; reason: string }

/**
 * Maps per-cell values of a condition, target or guide column to canonical GEARS conditions.
 * Guide names lose their `g<number>` suffix, numeric tokens (guide numbers as in `STAT1_2`) and
 * control tokens are dropped (`AHR_NegCtrl0` → `AHR+ctrl`), genes go through the aliases.
 */
export function mapToConditions(values: readonly (string | null | undefined)[], options: MapOptions): ConditionMapping {
  const labels = new Set([CONTROL, ...options.controlLabels.map((l) => l.trim().toLowerCase())])
  const separator = options.separator ?? DEFAULT_SEPARATOR
  const aliases = options.aliases
  const isLabel = (token: string) => labels.has(token.toLowerCase()) || labels.has(guideTarget(token).toLowerCase())

  const mapOne = (value: string | null | undefined): Mapped => {
    const text = value?.trim() ?? ''
    if (text === '') return { condition: null, reason: 'empty value' }
    if (isLabel(text)) return { condition: CONTROL, renames: [] }
    const genes = new Set<string>()
    const renames: [string, string][] = []
    let sawControl = false
    for (const raw of text.split(separator)) {
      const token = raw.trim()
      if (token === '' || /^\d+$/.test(token)) continue
      if (isLabel(token)) {
        sawControl = true
        continue
      }
      if (looksLikeControlLabel(token)) return { condition: null, reason: `"${token}" looks like a control label; add it to the control labels if it is one` }
      if (/\s/.test(token)) return { condition: null, reason: `"${token}" is not a gene symbol (it has spaces)` }
      const gene = guideTarget(token)
      const resolved = aliases?.get(gene) ?? gene
      if (resolved !== gene) renames.push([gene, resolved])
      genes.add(resolved)
    }
    if (genes.size === 0) return sawControl ? { condition: CONTROL, renames: [] } : { condition: null, reason: 'no gene symbol in the value' }
    return { condition: formatCondition(genes), renames }
  }

  const cache = new Map<string | null, { mapped: Mapped; cells: number }>()
  const conditions: (string | null)[] = new Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const key = values[i] ?? null
    let hit = cache.get(key)
    if (!hit) cache.set(key, (hit = { mapped: mapOne(key), cells: 0 }))
    hit.cells++
    conditions[i] = hit.mapped.condition
  }

  const counts = new Map<string, number>()
  const renames = new Map<string, GeneRename>()
  const unmapped: UnmappedValue[] = []
  for (const [value, { mapped, cells }] of cache) {
    if (mapped.condition === null) {
      unmapped.push({ value, cells, reason: mapped.reason })
      continue
    }
    counts.set(mapped.condition, (counts.get(mapped.condition) ?? 0) + cells)
    for (const [from, to] of mapped.renames) {
      const key = `${from}\u0000${to}`
      const r = renames.get(key) ?? { from, to, cells: 0 }
      r.cells += cells
      renames.set(key, r)
    }
  }
  return {
    conditions,
    counts: [...counts].map(([condition, cells]) => ({ condition, cells })).sort((a, b) => b.cells - a.cells || byCodeUnit(a.condition, b.condition)),
    controlCells: counts.get(CONTROL) ?? 0,
    renames: [...renames.values()].sort((a, b) => byCodeUnit(a.from, b.from)),
    unmapped: unmapped.sort((a, b) => b.cells - a.cells),
  }
}
