/**
 * `node bin/bench.js gi-detection --home DIR --run ID [--preset norman-like] [--seed 1] [--genes 1000]`:
 * GI detection of docs/ml-engine.md §7 (Ahlmann-Eltze, Huber & Anders 2025) for a completed run on a
 * synthetic screen, whose declared pair types are the truth (the screen is regenerated from its
 * preset and seed to read them).
 *
 * Pairs: the run's test pairs whose two singles the dataset measured. A predictor's score for a
 * pair is its predicted deviation from additivity, ‖pred_AB − (obs_A + obs_B)‖² over the `genes`
 * most expressed genes (by control mean, as Ahlmann-Eltze score on the 1,000 most expressed),
 * obs = observed mean change. Printed per test group and overall, for the run, the knowledge_prior
 * baseline of its split, no change (pred_AB = control: score ‖obs_A + obs_B‖²) and additive
 * (score 0 for every pair): the true-positive rate of non-additive pairs at a false-discovery
 * proportion ≤ 0.5, the AUROC of the same ranking, and each type's AUROC by the predicted change
 * in magnitude (|Δ_AB|² − |Δ_A + Δ_B|², singles predicted by the same predictor).
 */
import { createAppContext } from '../src-main/app-context'
import { rowsMean } from '../src-main/ml/expression'
import { deviationScore, giDetection, magnitudeChange, type DetectionPair } from '../src-main/ml/gi-detection'
import { generatePlan } from '../src-main/synthetic/generate'
import { loadSyntheticKnowledge } from '../src-main/synthetic/knowledge-input'
import { buildTrainingData } from '../src-main/services/training/training-data'
import { arg, knowledgeFolder, round, type BenchPreset } from './benchmark-setup'

const print = (figure: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'gi-detection', ...figure }))

const home = arg('home', '')
const runId = Number(arg('run', '0'))
const preset = arg('preset', 'norman-like') as BenchPreset
const seed = Number(arg('seed', '1'))
const nGenes = Number(arg('genes', '1000'))
if (!home || !runId) throw new Error('give --home DIR and --run ID (a completed run on a synthetic screen)')

const ctx = createAppContext({ home, transport: 'cli', log: () => undefined })
const { training, predictions, datasets, knowledge } = ctx.services
const run = training.get(runId)
if (run.status !== 'completed' || !run.splitDetail || run.datasetId === null) throw new Error(`run ${runId} is ${run.status}; give a completed run`)
const split = run.splitDetail
const declared = new Map((await generatePlan({ preset, seed, knowledge: await loadSyntheticKnowledge(knowledgeFolder) })).truth.pairs.map((p) => [p.condition, p.type]))

const prepared = await datasets.load(run.datasetId)
const data = buildTrainingData(prepared, await knowledge.base(), { datasetId: run.datasetId })
const byName = new Map(data.conditions.map((c) => [c.condition, c]))
const singleOf = new Map(data.conditions.filter((c) => c.genes.length === 1).map((c) => [c.genes[0], c]))
const cbar = data.controlMean
const observed = (name: string) => Float32Array.from(rowsMean(data.expression, byName.get(name)!.cells), (v, g) => v - cbar[g])
const genes = Int32Array.from(Array.from(cbar, (_, g) => g).sort((a, b) => cbar[b] - cbar[a]).slice(0, nGenes))

const pairs = split.test.filter((c) => {
  const g = byName.get(c)?.genes ?? []
  return g.length === 2 && g.every((x) => singleOf.has(x)) && declared.has(c)
})
const obsSingle = new Map([...new Set(pairs.flatMap((c) => byName.get(c)!.genes))].map((g) => [g, observed(singleOf.get(g)!.condition)]))
const baselineRun = training
  .list({ datasetId: run.datasetId, includeBaselines: true })
  .filter((r) => r.kind === 'baseline' && r.model === 'knowledge_prior' && r.status === 'completed' && r.split.kind === split.config.kind && r.split.seed === split.config.seed)
  .sort((a, b) => b.id - a.id)[0]

/** A predictor's changes for the pairs and their singles (row per set, all genes). */
async function changes(id: number) {
  const sets = [...pairs.map((c) => byName.get(c)!.genes), ...[...obsSingle.keys()].map((g) => [g])]
  const batch = await predictions.predictMany(id, sets, { controlCells: 300, seed: 0 })
  const G = cbar.length
  const row = (i: number) => batch.change.subarray(i * G, (i + 1) * G)
  return { pair: (i: number) => row(i), single: new Map([...obsSingle.keys()].map((g, k) => [g, row(pairs.length + k)])) }
}

const predictors: { name: string; detect: (group: string | null) => DetectionPair[] }[] = []
const forRun = async (name: string, id: number) => {
  const c = await changes(id)
  predictors.push({
    name,
    detect: (group) =>
      pairs.flatMap((p, i) => {
        if (group && split.testGroups[p] !== group) return []
        const [a, b] = byName.get(p)!.genes
        return [{ pair: p, type: declared.get(p)!, score: deviationScore(c.pair(i), obsSingle.get(a)!, obsSingle.get(b)!, genes), magnitude: magnitudeChange(c.pair(i), c.single.get(a)!, c.single.get(b)!, genes) }]
      }),
  })
}
await forRun(run.model, runId)
if (baselineRun) await forRun('knowledge_prior', baselineRun.id)
const zeros = new Float32Array(cbar.length)
predictors.push({
  name: 'no_change',
  detect: (group) =>
    pairs.flatMap((p) => (group && split.testGroups[p] !== group ? [] : [{ pair: p, type: declared.get(p)!, score: deviationScore(zeros, obsSingle.get(byName.get(p)!.genes[0])!, obsSingle.get(byName.get(p)!.genes[1])!, genes) }])),
})
predictors.push({ name: 'additive', detect: (group) => pairs.flatMap((p) => (group && split.testGroups[p] !== group ? [] : [{ pair: p, type: declared.get(p)!, score: 0 }])) })

for (const group of [null, ...new Set(pairs.map((p) => split.testGroups[p]))].sort()) {
  for (const p of predictors) {
    const r = giDetection(p.detect(group))
    print({
      figure: 'detection',
      runId,
      group: group ?? 'overall',
      predictor: p.name,
      pairs: r.pairs,
      nonAdditive: r.nonAdditive,
      tprAtFdp50: round(r.tprAtFdp50, 3),
      auroc: round(r.auroc, 3),
      perTypeAuroc: Object.fromEntries(Object.entries(r.perType).map(([t, v]) => [t, round(v.auroc, 3)])),
      genes: genes.length,
    })
  }
}
ctx.close()
