/**
 * `node bin/bench.js baselines --home DIR --dataset ID [--split simulation|single] [--seeds 1,2,3]`:
 * the baselines of docs/ml-engine.md §8 fitted and tested on each split seed of an imported dataset, without
 * training anything (seconds): one JSON line per split seed, baseline and test group (overall
 * included) with `mse_de`, `pearson_delta` and `pearson_delta_centroid`, and the knowledge prior's
 * fitted weights (λ Reactome share, ρ neighbours' weight, κ shrinkage in cells).
 */
import { createAppContext } from '../src-main/app-context'
import { fitBaselineFor, predictBaseline } from '../src-main/ml/baselines'
import { BASELINE_NAMES, type SplitKind } from '../src-main/ml/engine-types'
import { evaluatePredictions, perturbedTrainingMean } from '../src-main/ml/metrics'
import { makeSplit } from '../src-main/ml/splits'
import { buildTrainingData } from '../src-main/services/training/training-data'
import { arg, round } from './benchmark-setup'

const print = (figure: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'baselines', ...figure }))
const home = arg('home', '')
const datasetId = Number(arg('dataset', '0'))
if (!home || !datasetId) throw new Error('give --home DIR and --dataset ID (an imported dataset)')
const kind = arg('split', 'simulation') as SplitKind
const seeds = arg('seeds', '1,2,3').split(',').map(Number)

const ctx = createAppContext({ home, transport: 'cli', log: () => undefined })
const prepared = await ctx.services.datasets.load(datasetId)
const data = buildTrainingData(prepared, await ctx.services.knowledge.base(), { datasetId })
const genesOf = new Map(data.conditions.map((c) => [c.condition, c.genes]))
for (const seed of seeds) {
  const split = makeSplit(data.conditions, { kind, seed })
  const pbar = perturbedTrainingMean(data, split.train)
  for (const name of BASELINE_NAMES) {
    const t = performance.now()
    const fitted = fitBaselineFor(name, data, split)
    const preds = new Map(split.test.map((c) => [c, predictBaseline(name, fitted, genesOf.get(c)!)]))
    const ev = evaluatePredictions(data, split.test, preds, split.testGroups, undefined, pbar)
    const seconds = round((performance.now() - t) / 1000, 2)
    const weights = name === 'knowledge_prior' && fitted.prior ? { lambda: round(fitted.prior.lambda, 2), rho: round(fitted.prior.rho, 2), kappa: round(fitted.prior.kappa, 2) } : undefined
    for (const [group, m] of [['overall', ev.overall] as const, ...Object.entries(ev.groups)]) {
      print({ datasetId, split: kind, seed, baseline: name, group, n: m!.n, mse_de: round(m!.mse_de, 4), pearson_delta: round(m!.pearson_delta, 4), pearson_delta_centroid: round(m!.pearson_delta_centroid, 4), ...(group === 'overall' ? { seconds, ...(weights ? { weights } : {}) } : {}) })
    }
  }
}
ctx.close()
