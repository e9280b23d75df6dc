/** What the run channels return, made from stored runs: list rows, details and comparison tables. */
import {
  COMPARE_GROUPS,
  RUN_METRICS,
  type CompareGroup,
  type ComputeBackend,
  type RunBackend,
  type RunComparison,
  type RunDetail,
  type RunEpoch,
  type RunEvaluation,
  type RunListItem,
  type RunMetricName,
  type RunMetrics,
  type RunProgress,
  type RunSplit,
  type RunTestGroup,
  type RunVerdict,
  type TrainableName,
} from '../../../src-shared/contract'
import { runVerdict } from '../../../src-shared/domain/verdict'
import type { CheckpointRecord, RunRecord } from '../../db/runs-repo'
import type { BackendInfo, BackendName } from '../../ml/backend'
import { MODEL_ARCHITECTURES, type EpochReport, type Evaluation, type MetricName, type Metrics, type Split, type TestGroup, type Trainable, type TrainProgress } from '../../ml/engine-types'
import { aggregateEvaluation } from '../../ml/metrics'

// The contract restates the engine's names (src-shared cannot import ml/); these fail to compile if they drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
export const namesAgree: [Same<TrainableName, Trainable>, Same<ComputeBackend, BackendName>, Same<RunTestGroup, TestGroup>, Same<RunMetricName, MetricName>] = [true, true, true, true]
export const shapesAgree = (
  b: BackendInfo,
  p: TrainProgress,
  e: EpochReport,
  v: Evaluation,
  s: Split,
): [RunBackend, RunProgress, RunEpoch, RunEvaluation, RunSplit] => [b, p, e, v, s]

/** A run that ended without finishing its epochs, with a checkpoint to continue from. */
export function isResumable(r: RunRecord): boolean {
  return r.kind === 'model' && (r.status === 'failed' || r.status === 'cancelled') && r.hasCheckpoint && r.epochsDone < r.config.epochs
}

export function toListItem(r: RunRecord): RunListItem {
  const overall = r.test?.overall
  return {
    id: r.id,
    projectId: r.projectId,
    datasetId: r.datasetId,
    model: r.model,
    name: r.name,
    kind: r.kind,
    status: r.status,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    error: r.error,
    split: { kind: r.config.split.kind, seed: r.config.split.seed },
    seed: r.config.seed,
    epochs: r.kind === 'baseline' ? 0 : r.config.epochs,
    epochsDone: r.epochsDone,
    bestEpoch: r.bestEpoch,
    backend: r.backend?.backend ?? null,
    headline: overall ? { pearson_delta: overall.pearson_delta, mse_de: overall.mse_de } : null,
    resumable: isResumable(r),
  }
}

/**
 * The verdict of a model run against the baselines of its split (docs/ml-engine.md §11.5), or null for
 * baselines and runs without a test evaluation. Baselines left out by the model's exclusions are
 * paired on the conditions the model was scored on.
 */
export function runVerdictOf(r: RunRecord, baselines: RunRecord[], epochs: EpochReport[]): RunVerdict | null {
  if (r.kind !== 'model' || !r.test || !r.split) return null
  const mseDe = (perCondition: Record<string, Metrics>) => Object.fromEntries(Object.entries(perCondition).map(([c, m]) => [c, m.mse_de]))
  const model = mseDe(r.test.perCondition)
  const scored = baselines.filter((b) => b.test && b.model !== r.model)
  const groups = runVerdict({ model, baselines: Object.fromEntries(scored.map((b) => [b.model, mseDe(b.test!.perCondition)])), groups: r.split.testGroups })
  const prior = scored.find((b) => b.model === 'knowledge_prior')
  const vsPrior = prior ? runVerdict({ model, baselines: { knowledge_prior: mseDe(prior.test!.perCondition) }, groups: r.split.testGroups }) : null
  const residual = r.config.prior === 'knowledge'
  const best = r.bestEpoch ? epochs.find((e) => e.epoch === r.bestEpoch) : undefined
  const alpha = residual ? (r.bestEpoch ? (best?.alpha ?? null) : 0) : null
  const alphaPairs = residual ? (r.bestEpoch ? (best?.alphaPairs ?? null) : 0) : null
  // A VAE model past epoch 0 adds its trained regenerated control cells even with α = 0 (measured on
  // norman-like: BioDSNN at α = 0 tested 2 % below the prior on combo_seen1), so only epoch 0 is "nothing".
  const vae = (MODEL_ARCHITECTURES as Record<string, { vae: boolean } | undefined>)[r.model]?.vae ?? false
  const addsNothing = residual && (r.bestEpoch === 0 || (alpha === 0 && alphaPairs === 0 && !vae))
  return { metric: 'mse_de', groups, vsPrior, addsNothing, alpha, alphaPairs }
}

export function toDetail(r: RunRecord, extra: { epochs: EpochReport[]; checkpoints: CheckpointRecord[]; progress: TrainProgress | null; queuePosition: number | null; verdict?: RunVerdict | null }): RunDetail {
  return {
    ...toListItem(r),
    config: r.config,
    backendInfo: r.backend,
    splitDetail: r.split,
    epochLog: extra.epochs,
    test: r.test,
    checkpoints: extra.checkpoints.map((c) => ({ epoch: c.epoch, bytes: c.bytes, sha256: c.sha256, isBest: c.isBest, createdAt: c.createdAt })),
    progress: extra.progress,
    queuePosition: extra.queuePosition,
    verdict: extra.verdict ?? null,
    selection: r.selection,
    pertGraph: r.pertGraph,
  }
}

/** The split's identity: runs with the same key were trained and tested on the same conditions. */
export function splitKey(split: { kind: string; seed: number; assignment?: Record<string, string> }): string {
  const assignment = split.assignment ? Object.fromEntries(Object.entries(split.assignment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : undefined
  return JSON.stringify({ kind: split.kind, seed: split.seed, ...(assignment ? { assignment } : {}) })
}

/**
 * Baselines scored on the test conditions the selected model runs were scored on. A model leaves
 * out conditions it cannot predict (unseen genes without GO partners) while a baseline predicts
 * all of them; comparing group means over different conditions would mislead. The group means
 * are recomputed from the baselines' per-condition metrics (docs/ml-engine.md §7: mean over conditions),
 * `mse_de_norm` against the no_perturb baseline on the same conditions.
 */
export function sameConditions(selected: RunRecord[], added: RunRecord[]): (RunRecord & { restrictedTo?: number })[] {
  const evaluated = selected.filter((r) => r.kind === 'model' && r.test).map((r) => new Set(Object.keys(r.test!.perCondition)))
  if (evaluated.length === 0) return added
  const keep = [...evaluated[0]].filter((c) => evaluated.every((s) => s.has(c)))
  const noPerturb = added.find((b) => b.model === 'no_perturb')?.test?.perCondition ?? {}
  return added.map((b) => {
    if (!b.test || !b.split || Object.keys(b.test.perCondition).every((c) => keep.includes(c))) return b
    const pick = (m: Record<string, Metrics>) => Object.fromEntries(keep.filter((c) => m[c]).map((c) => [c, m[c]]))
    const test = aggregateEvaluation(pick(b.test.perCondition), pick(noPerturb), b.split.testGroups)
    return { ...b, test, restrictedTo: Object.keys(test.perCondition).length }
  })
}

/** One row per run and group with a test evaluation; metrics missing from a group stay absent. */
export function comparison(selected: RunRecord[], added: (RunRecord & { restrictedTo?: number })[]): RunComparison {
  const metrics: RunComparison['metrics'] = [...RUN_METRICS, 'mse_de_norm']
  const runs: { r: RunRecord & { restrictedTo?: number }; added: boolean }[] = [...selected.map((r) => ({ r, added: false })), ...added.map((r) => ({ r, added: true }))]
  const rows: RunComparison['rows'] = []
  for (const { r } of runs) {
    if (!r.test) continue
    for (const group of COMPARE_GROUPS) {
      const m = group === 'overall' ? r.test.overall : r.test.groups[group as TestGroup]
      if (!m) continue
      const row: RunComparison['rows'][number] = { runId: r.id, group: group as CompareGroup, n: m.n }
      for (const k of metrics) if (typeof m[k] === 'number') row[k] = m[k]
      rows.push(row)
    }
  }
  return {
    runs: runs.map(({ r, added: a }) => ({
      runId: r.id,
      model: r.model as TrainableName,
      kind: r.kind,
      name: r.name,
      datasetId: r.datasetId,
      split: { kind: r.config.split.kind, seed: r.config.split.seed },
      status: r.status,
      added: a,
      ...(r.restrictedTo !== undefined ? { restrictedTo: r.restrictedTo } : {}),
    })),
    groups: COMPARE_GROUPS.filter((g) => rows.some((row) => row.group === g)),
    metrics,
    rows,
  }
}

/** The CLI's per-group summary: every metric of the group without per-condition detail. */
export function groupTable(test: Evaluation | null): { overall: RunMetrics | null; groups: Partial<Record<TestGroup, RunMetrics>> } {
  return { overall: test?.overall ?? null, groups: test?.groups ?? {} }
}
