/**
 * `node bin/bench.js design [--preset norman-like|small] [--seed 1] [--model gears] [--epochs 3]
 *  [--run ID] [--backend wasm] [--lanes N] [--genes N] [--draws 1000]`: the experiment-design checks of issue 7,
 * one JSON line per figure:
 *  - `observed-calls`: GI calls on the measured pairs (both singles measured) against the types
 *    the synthetic screen declares — the confusion table and the agreement;
 *  - `map`: a full pair map of the screen's perturbed genes (105 genes, 5,460 pairs on
 *    norman-like) through the design service as the app runs it: seconds, pairs per second;
 *  - `precision`: precision@10 of the map's ranking for synergy (highest mag) and suppression
 *    (lowest mag) among the pairs with a declared type, against random rankings (`draws`), for all
 *    of them, the pairs the run trained on and those it did not, the pairs in the map's default
 *    scope `placed` (a gene seen, and none the run cannot place by GO), in scope `seen` (at least
 *    one gene seen), the pairs whose two genes it saw (the both scope),
 *    the half with the lowest uncertainty, and the fits not flagged ill-determined; `observedData`
 *    is the same ranking of the measured scores (the ceiling).
 * Target (issue 7, wasm, this machine): the 5,460-pair map ≤ 10 min. The screen is generated,
 * imported and a model trained once into .cache/bench-design/ (the run is reused).
 */
import { isBackendName } from '../src-main/ml/backend'
import { mulberry32 } from '../src-main/ml/random'
import type { Job } from '../src-main/services/jobs'
import { generatePlan } from '../src-main/synthetic/generate'
import { loadSyntheticKnowledge } from '../src-main/synthetic/knowledge-input'
import type { GiType, PairGi } from '../src-shared/contract'
import { isWeaklyPlaced } from '../src-shared/domain/gene-placement'
import { arg, benchDataset, benchRun, knowledgeFolder, type BenchPreset } from './benchmark-setup'

const print = (figure: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'design', ...figure }))
const round = (x: number, d = 3) => Number(x.toFixed(d))

const preset = arg('preset', 'norman-like') as BenchPreset
const seed = Number(arg('seed', '1'))
const model = arg('model', 'gears')
const epochs = Number(arg('epochs', '3'))
const backend = arg('backend', 'wasm')
const draws = Number(arg('draws', '1000'))
const maxGenes = Number(arg('genes', '0'))
if (!isBackendName(backend)) throw new Error(`unknown --backend ${backend}`)

// ── the screen and a trained run, prepared once; the app's services, backend forced ─────
const { ctx, datasetId, prepareSeconds } = await benchDataset('bench-design', preset, seed, { predictBackend: backend })
if (prepareSeconds !== null) print({ figure: 'prepare-dataset', preset, seconds: prepareSeconds })
const runArg = arg('run', '')
const { run, trainSeconds } = await benchRun(ctx, datasetId, { model, epochs, seed, backend, uncertainty: true, ...(runArg ? { runId: Number(runArg) } : {}) })
if (trainSeconds !== null) print({ figure: 'train', preset, model, epochs, seconds: trainSeconds })
const runId = run.id
const { predictions, design } = ctx.services

// ── the declared types ──────────────────────────────────────────────────────────────
const truth = (await generatePlan({ preset, seed, knowledge: await loadSyntheticKnowledge(knowledgeFolder) })).truth
const declared = new Map<string, GiType>(truth.pairs.map((p) => [p.condition, p.type as GiType]))

// ── observed calls vs declared types ────────────────────────────────────────────────
{
  const t = performance.now()
  const obs = await design.observed(datasetId, {})
  const types: GiType[] = ['additive', 'synergy', 'suppression', 'epistasis', 'neomorphic', 'redundant']
  const confusion: Record<string, Record<string, number>> = {}
  let agree = 0
  for (const p of obs.pairs) {
    const d = declared.get(p.condition)
    if (!d || !p.call) continue
    confusion[d] ??= Object.fromEntries(types.map((x) => [x, 0]))
    confusion[d][p.call.type]++
    if (p.call.type === d) agree++
  }
  print({ figure: 'observed-calls', preset, seed, pairs: obs.pairs.length, skipped: obs.skipped.length, illDetermined: obs.pairs.filter((p) => p.call?.illDetermined).length, agree, rows: 'declared', columns: 'called', confusion, seconds: round((performance.now() - t) / 1000, 1) })
}

// ── the full map ────────────────────────────────────────────────────────────────────
// The perturbed genes the run can predict: a gene with no knowledge at all (small has one) is
// refused by the map, as it would be for a user who typed it.
const perturbed = (await ctx.services.datasets.genes(datasetId)).perturbed
const predictable = new Set((await predictions.genes(runId)).genes.map((g) => g.gene))
const unpredictable = perturbed.filter((g) => !predictable.has(g))
if (unpredictable.length) print({ figure: 'map-genes-left-out', preset, genes: unpredictable, reason: 'the run cannot predict them (no knowledge to place them by)' })
const mappable = perturbed.filter((g) => predictable.has(g))
const genes = maxGenes > 0 ? mappable.slice(0, maxGenes) : mappable
let lastPrint = 0
const job: Job = {
  id: 'bench',
  signal: new AbortController().signal,
  progress: (f, message) => {
    if (performance.now() - lastPrint > 30_000) {
      process.stderr.write(`  ${Math.round(f * 100)}% ${message}\n`)
      lastPrint = performance.now()
    }
  },
  throwIfCancelled: () => undefined,
}
// What the Design screen would have said beforehand (design:estimate), beside what the map took.
const estimate = await design.estimate({ runId, genes, scope: 'all' })
const t0 = performance.now()
// Every pair (scope all, no uncertainty cut): the whole 5,460-pair map is predicted and scored.
const map = await design.map({ runId, genes, scope: 'all', maxUncertainty: 1e9, confirm: true, name: 'bench' }, job)
const seconds = (performance.now() - t0) / 1000
print({ figure: 'map', preset, model, runId, epochs: run.epochsDone, genes: genes.length, pairs: map.pairCount, illDetermined: map.pairs.filter((p) => p.call?.illDetermined).length, seconds: round(seconds, 1), estimatedSeconds: estimate.seconds, pairsPerSecond: round(map.pairCount / seconds, 1), predictWaitSeconds: map.timing.predictWaitSeconds, scoreSeconds: map.timing.scoreSeconds, backend: predictions.backend?.backend, device: predictions.backend?.device, workers: predictions.workers, target: '≤ 600 s' })

// ── precision@10 against random rankings ────────────────────────────────────────────
function precisionAt10(ranked: PairGi[], type: GiType): number {
  return ranked.slice(0, 10).filter((p) => declared.get(p.condition) === type).length / 10
}
function randomPrecision(pool: PairGi[], type: GiType): { mean: number; p95: number } {
  const rand = mulberry32(12345)
  const hits = pool.map((p) => (declared.get(p.condition) === type ? 1 : 0))
  const out: number[] = []
  for (let d = 0; d < draws; d++) {
    // partial Fisher–Yates: the first 10 of a random permutation
    const idx = hits.map((_, i) => i)
    let h = 0
    for (let k = 0; k < Math.min(10, idx.length); k++) {
      const j = k + Math.floor(rand() * (idx.length - k))
      ;[idx[k], idx[j]] = [idx[j], idx[k]]
      h += hits[idx[k]]
    }
    out.push(h / 10)
  }
  out.sort((a, b) => a - b)
  return { mean: out.reduce((s, v) => s + v, 0) / out.length, p95: out[Math.floor(0.95 * (out.length - 1))] }
}
const detail = ctx.services.training.get(runId)
const trained = new Set(detail.splitDetail?.train ?? [])
const labelled = map.pairs.filter((p) => p.scores && declared.has(p.condition))
const sd = labelled.map((p) => p.uncertainty).filter((u): u is number => u !== null).sort((a, b) => a - b)
const sdCut = sd.length ? sd[Math.floor(sd.length / 2)] : Infinity
const pools: [string, PairGi[]][] = [
  ['all labelled pairs', labelled],
  ['pairs trained on', labelled.filter((p) => trained.has(p.condition))],
  ['pairs not trained on', labelled.filter((p) => !trained.has(p.condition))],
  ["the map's default scope, placed (a gene seen, none the run cannot place by GO)", labelled.filter((p) => p.seen >= 1 && !p.genes.some(isWeaklyPlaced))],
  ['scope seen (a gene seen)', labelled.filter((p) => p.seen >= 1)],
  ["both genes seen (the map's both scope)", labelled.filter((p) => p.seen === 2)],
  ['lower-uncertainty half', labelled.filter((p) => p.uncertainty === null || p.uncertainty <= sdCut)],
  ['determined fits (no ⚠)', labelled.filter((p) => !p.call?.illDetermined)],
]
for (const [pool, pairs] of pools) {
  // A run trained on every labelled pair has no untrained pool: say so instead of printing zeros.
  if (pairs.length === 0) {
    print({ figure: 'precision', pool, candidates: 0, note: 'no pairs in this pool' })
    continue
  }
  for (const [type, desc] of [['synergy', true], ['suppression', false]] as const) {
    const ranked = [...pairs].sort((a, b) => (desc ? b.scores!.mag - a.scores!.mag : a.scores!.mag - b.scores!.mag))
    const observedRanked = [...pairs].filter((p) => p.observed?.scores).sort((a, b) => (desc ? b.observed!.scores!.mag - a.observed!.scores!.mag : a.observed!.scores!.mag - b.observed!.scores!.mag))
    const rnd = randomPrecision(pairs, type)
    print({
      figure: 'precision',
      pool,
      type,
      candidates: pairs.length,
      positives: pairs.filter((p) => declared.get(p.condition) === type).length,
      model: precisionAt10(ranked, type),
      random: round(rnd.mean),
      randomP95: rnd.p95,
      draws,
      observedData: observedRanked.length >= 10 ? precisionAt10(observedRanked, type) : null,
    })
  }
}

ctx.close()
