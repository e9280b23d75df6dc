/**
 * Train / validation / test splits of conditions (docs/ml-engine.md §6). Seeded and deterministic: the
 * same conditions and seed give the same split on every machine (mulberry32, no Math.random).
 * Genes are always drawn without replacement (the reference's `single` split draws with it).
 */
import { AppError } from '../../src-shared/contract/envelope'
import type { Split, SplitConfig, TestGroup } from './engine-types'
import { mulberry32 } from './random'
import { listSome } from '../../src-shared/domain/list-some'

export interface SplitCondition {
  condition: string
  /** perturbed genes; [] for ctrl */
  genes: string[]
}

export const CTRL = 'ctrl'

/** Shuffles a copy (Fisher–Yates) with `rand` and returns the first `k`. */
export function sampleWithoutReplacement<T>(items: readonly T[], k: number, rand: () => number): T[] {
  const a = [...items]
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const t = a[i]
    a[i] = a[j]
    a[j] = t
  }
  return a.slice(0, k)
}

/** A test condition's group from how many of its genes are seen (combinations of any size: all seen → seen2). */
export function testGroupOf(genes: string[], seen: ReadonlySet<string>): TestGroup | null {
  const s = genes.filter((g) => seen.has(g)).length
  if (genes.length === 1) return s === 0 ? 'unseen_single' : null
  if (s === genes.length) return 'combo_seen2'
  return s === 0 ? 'combo_seen0' : 'combo_seen1'
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

function perturbedOnly(conditions: SplitCondition[]): SplitCondition[] {
  return conditions.filter((c) => c.genes.length > 0).sort((a, b) => byName(a.condition, b.condition))
}

/**
 * GEARS' simulation procedure on `conditions` (no ctrl): `geneFrac` of the genes become seen;
 * train = singles of seen genes + `comboFrac` of the combinations whose genes are all seen; the
 * rest is held out, grouped by how many genes are seen.
 */
function simulationRound(conditions: SplitCondition[], geneFrac: number, comboFrac: number, rand: () => number) {
  const genes = [...new Set(conditions.flatMap((c) => c.genes))].sort(byName)
  const seen = new Set(sampleWithoutReplacement(genes, Math.floor(genes.length * geneFrac), rand))
  const train: string[] = []
  const held: { condition: string; group: TestGroup | null }[] = []
  const seen2: string[] = []
  for (const c of conditions) {
    const group = testGroupOf(c.genes, seen)
    if (c.genes.length === 1) {
      if (group === null) train.push(c.condition)
      else held.push({ condition: c.condition, group })
    } else if (group === 'combo_seen2') seen2.push(c.condition)
    else held.push({ condition: c.condition, group })
  }
  const comboTrain = new Set(sampleWithoutReplacement(seen2, Math.floor(seen2.length * comboFrac), rand))
  for (const c of seen2) {
    if (comboTrain.has(c)) train.push(c)
    else held.push({ condition: c, group: 'combo_seen2' })
  }
  return { seen, train, held }
}

export function makeSplit(conditions: SplitCondition[], config: SplitConfig): Split {
  if (!Number.isInteger(config.seed) || config.seed < 0) throw new AppError('split.invalid-seed', `The split seed must be a whole number ≥ 0 (got ${config.seed}).`)
  const perturbed = perturbedOnly(conditions)
  if (perturbed.length < 2) {
    throw new AppError('train.single-condition', `The dataset has ${perturbed.length} perturbed condition${perturbed.length === 1 ? '' : 's'}; training needs at least two to hold one out. Import a screen with more perturbations.`)
  }
  const hasCtrl = conditions.some((c) => c.condition === CTRL)
  switch (config.kind) {
    case 'simulation':
      return simulationSplit(perturbed, config, hasCtrl)
    case 'single':
      return singleSplit(perturbed, config, hasCtrl)
    case 'custom':
      return customSplit(conditions, config)
    default:
      throw new AppError('split.unknown-kind', `Unknown split "${String((config as SplitConfig).kind)}"; choose simulation, single or custom.`)
  }
}

function simulationSplit(perturbed: SplitCondition[], config: SplitConfig, hasCtrl: boolean): Split {
  const rand = mulberry32(config.seed)
  const outer = simulationRound(perturbed, 0.75, 0.75, rand)
  const trainSet = new Set(outer.train)
  // Validation: the same procedure on the train part at 90 % / 90 % (docs/ml-engine.md §6).
  const inner = simulationRound(
    perturbed.filter((c) => trainSet.has(c.condition)),
    0.9,
    0.9,
    rand,
  )
  const testGroups: Record<string, TestGroup> = {}
  for (const h of outer.held) if (h.group) testGroups[h.condition] = h.group
  return {
    config: { ...config },
    train: [...(hasCtrl ? [CTRL] : []), ...inner.train.sort(byName)],
    val: inner.held.map((h) => h.condition).sort(byName),
    test: outer.held.map((h) => h.condition).sort(byName),
    testGroups,
    seenGenes: [...outer.seen].sort(byName),
  }
}

function singleSplit(perturbed: SplitCondition[], config: SplitConfig, hasCtrl: boolean): Split {
  const combos = perturbed.filter((c) => c.genes.length > 1)
  if (combos.length) {
    throw new AppError('split.not-single', `The single split is for screens of single perturbations; this one has ${combos.length} combination${combos.length === 1 ? '' : 's'} (e.g. ${combos[0].condition}). Use the simulation split.`)
  }
  const genes = [...new Set(perturbed.flatMap((c) => c.genes))].sort(byName)
  if (genes.length < 3) throw new AppError('train.single-condition', `The single split needs at least 3 perturbed genes (train, validation, test); this screen has ${genes.length}.`)
  const nHeld = Math.max(1, Math.round(genes.length * 0.1))
  const order = sampleWithoutReplacement(genes, genes.length, mulberry32(config.seed))
  const test = new Set(order.slice(0, nHeld))
  const val = new Set(order.slice(nHeld, 2 * nHeld))
  const pick = (set: Set<string>) => perturbed.filter((c) => set.has(c.genes[0])).map((c) => c.condition)
  const train = perturbed.filter((c) => !test.has(c.genes[0]) && !val.has(c.genes[0])).map((c) => c.condition)
  const testConds = pick(test)
  return {
    config: { ...config },
    train: [...(hasCtrl ? [CTRL] : []), ...train],
    val: pick(val),
    test: testConds,
    testGroups: Object.fromEntries(testConds.map((c) => [c, 'unseen_single' as TestGroup])),
    seenGenes: genes.filter((g) => !test.has(g) && !val.has(g)),
  }
}

function customSplit(conditions: SplitCondition[], config: SplitConfig): Split {
  const assignment = config.assignment
  if (!assignment || Object.keys(assignment).length === 0) throw new AppError('split.custom-empty', 'A custom split needs an assignment of conditions to train, val and test.')
  const known = new Map(conditions.map((c) => [c.condition, c]))
  const unknown = Object.keys(assignment).filter((c) => !known.has(c))
  if (unknown.length) throw new AppError('split.unknown-condition', `The custom split names conditions the dataset does not have: ${listSome(unknown, 5)}.`)
  if (known.has(CTRL) && assignment[CTRL] !== undefined && assignment[CTRL] !== 'train') throw new AppError('split.ctrl-not-train', '`ctrl` must be in the training set (docs/ml-engine.md §6).')
  const list = (part: 'train' | 'val' | 'test') => Object.keys(assignment).filter((c) => assignment[c] === part && c !== CTRL).sort(byName)
  const train = list('train')
  const val = list('val')
  const test = list('test')
  if (train.length === 0 || val.length === 0 || test.length === 0) {
    throw new AppError('split.custom-empty', `A custom split needs at least one perturbed condition in each of train, val and test (got ${train.length}, ${val.length}, ${test.length}).`)
  }
  const seen = new Set(train.flatMap((c) => known.get(c)!.genes))
  const testGroups: Record<string, TestGroup> = {}
  for (const c of test) {
    const g = testGroupOf(known.get(c)!.genes, seen)
    if (g) testGroups[c] = g
  }
  return {
    config: { ...config, assignment: { ...assignment } },
    train: [...(known.has(CTRL) ? [CTRL] : []), ...train],
    val,
    test,
    testGroups,
    seenGenes: [...seen].sort(byName),
  }
}
