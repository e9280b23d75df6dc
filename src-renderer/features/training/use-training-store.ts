import { defineStore } from 'pinia'
import { computed, reactive, ref, watch } from 'vue'
import {
  invalidInputOf,
  type BackendList,
  type ComputeBackend,
  type ModelPrior,
  type PertGraphOption,
  type RunComparison,
  type RunDetail,
  type RunListItem,
  type RunVerdict,
  type TrainEstimate,
  type TrainModel,
  type TrainSetupInput,
} from '../../../src-shared/contract'
import { api, errorMessage } from '../../api/client'
import { latest, useAction } from '../../composables/use-action'
import { useDatasetsStore } from '../datasets/use-datasets-store'
import { baselineOwners, numberRuns } from '../../../src-shared/domain/run-numbers'
import { TRAIN_DEFAULTS } from '../../../src-shared/domain/train-defaults'
import { useProjectsStore } from '../projects/use-projects-store'

/** One live point of the loss curves: x in epochs (2.5 = halfway through epoch 3), running means by term. */
export interface LossPoint {
  x: number
  losses: Record<string, number>
}

const TERMINAL = ['completed', 'failed', 'cancelled']
/** Live points kept per run; older ones are thinned (every other one dropped) beyond this. */
const MAX_TRACE = 2000

/** A refused setting: each field's own message says it all (the core's message also names the channel and paths). */
function settingMessage(err: unknown): string {
  const invalid = invalidInputOf(err)
  return invalid ? invalid.issues.map((i) => i.message).join('; ') : errorMessage(err)
}

/**
 * Training: the setup form and its estimate, the open project's runs, the selected run (with its
 * live progress) and the comparison of the runs ticked for it.
 */
export const useTrainingStore = defineStore('training', () => {
  const projects = useProjectsStore()
  const datasets = useDatasetsStore()

  // ── setup ──────────────────────────────────────────────────────────────────────────
  const form = reactive({
    datasetId: null as number | null,
    model: 'gears' as TrainModel,
    name: '',
    selfEffect: TRAIN_DEFAULTS.selfEffect as boolean,
    /** docs/ml-engine.md §11.2: grounded (knowledge prior + network correction) or as published */
    prior: TRAIN_DEFAULTS.prior as ModelPrior,
    /** docs/ml-engine.md §2: which knowledge places unseen genes (auto: the run chooses) */
    pertGraph: 'auto' as PertGraphOption,
    splitKind: 'simulation' as 'simulation' | 'single',
    splitSeed: TRAIN_DEFAULTS.split.seed as number,
    seed: TRAIN_DEFAULTS.seed as number,
    epochs: TRAIN_DEFAULTS.epochs as number,
    batchConditions: TRAIN_DEFAULTS.batchConditions as number,
    cellsPerCondition: TRAIN_DEFAULTS.cellsPerCondition as number,
    allCells: false,
    backend: '' as ComputeBackend | '',
    /** data-parallel threads on the CPU engines; '' = one per core (the core decides) */
    workers: '' as number | '',
  })

  /** The form as a `train:start` input (numbers the browser could not parse stay NaN; the core names them). */
  const setup = computed<TrainSetupInput | null>(() => {
    if (form.datasetId === null) return null
    return {
      datasetId: form.datasetId,
      model: form.model,
      ...(form.name.trim() ? { name: form.name.trim() } : {}),
      split: { kind: form.splitKind, seed: Number(form.splitSeed) },
      seed: Number(form.seed),
      epochs: Number(form.epochs),
      batchConditions: Number(form.batchConditions),
      cellsPerCondition: form.allCells ? 'all' : Number(form.cellsPerCondition),
      selfEffect: form.selfEffect,
      prior: form.prior,
      pertGraph: form.pertGraph,
      ...(form.backend ? { backend: form.backend } : {}),
      ...(form.workers !== '' ? { workers: Number(form.workers) } : {}),
    }
  })

  // A screen of single-gene perturbations only (no pairs) cannot be split the GEARS way: default
  // to the single split whenever another dataset is chosen; the user can still pick either.
  watch(
    () => [form.datasetId, datasets.list.find((d) => d.datasetId === form.datasetId)?.combos] as const,
    ([id, combos], old) => {
      if (id === null || combos === undefined || (old && old[0] === id && old[1] !== undefined)) return
      form.splitKind = combos === 0 ? 'single' : 'simulation'
    },
    { immediate: true },
  )

  const estimate = ref<TrainEstimate | null>(null)
  /** why the setup cannot run as it is (the core's validation message), or why no estimate */
  const setupError = ref<string | null>(null)
  const starting = ref(false)
  let estimateTimer: ReturnType<typeof setTimeout> | undefined
  const newestEstimate = latest()

  async function refreshEstimate() {
    const input = setup.value
    const mine = newestEstimate()
    if (!input) {
      estimate.value = null
      setupError.value = null
      return
    }
    try {
      const e = await api.call('train:estimate', input)
      if (!mine()) return
      estimate.value = e
      setupError.value = null
    } catch (err) {
      if (!mine()) return
      estimate.value = null
      setupError.value = settingMessage(err)
    }
  }
  watch(
    setup,
    () => {
      clearTimeout(estimateTimer)
      estimateTimer = setTimeout(() => void refreshEstimate(), 250)
    },
    { deep: true },
  )

  const backends = ref<BackendList | null>(null)
  async function loadBackends() {
    try {
      backends.value = await api.call('backend:list', {})
    } catch (err) {
      error.value = errorMessage(err)
    }
  }

  // ── runs ───────────────────────────────────────────────────────────────────────────
  const runs = ref<RunListItem[]>([])
  const selectedId = ref<number | null>(null)
  const detail = ref<RunDetail | null>(null)
  const traces = ref<Record<number, LossPoint[]>>({})
  const { error, quietly: guard } = useAction()
  const loaded = ref(false)
  /** bumped when a run starts, so the monitor scrolls into view */
  const monitorFocus = ref(0)

  /** The user's runs numbered per project (Run 1, Run 2, …; projects/run-numbers.ts). */
  const runNumbers = computed(() => numberRuns(runs.value))

  /**
   * Each model run's baselines (those of its dataset and split fitted for it), shown with their
   * model rather than as runs of their own; baselines no model run claims are `orphans`.
   */
  const baselinesOf = computed(() => {
    const owners = baselineOwners(runs.value)
    const byRun = new Map<number, RunListItem[]>()
    const orphans: RunListItem[] = []
    for (const b of runs.value.filter((r) => r.kind === 'baseline').sort((x, y) => x.id - y.id)) {
      const owner = owners.get(b.id)
      if (owner === undefined) orphans.push(b)
      else byRun.set(owner, [...(byRun.get(owner) ?? []), b])
    }
    return { byRun, orphans }
  })

  /** "Run 3" for a model run, "Run 3 baseline" for a baseline fitted with it. */
  function runLabel(id: number): string {
    const n = runNumbers.value.get(id)
    if (n !== undefined) return `Run ${n}`
    for (const [owner, list] of baselinesOf.value.byRun) if (list.some((b) => b.id === id)) return `baseline of Run ${runNumbers.value.get(owner)}`
    return 'baseline'
  }

  async function refresh() {
    const projectId = projects.openId
    if (projectId === null) {
      runs.value = []
      loaded.value = true
      return
    }
    await guard(async () => {
      const list = await api.call('run:list', { projectId, includeBaselines: true })
      if (projects.openId !== projectId) return
      runs.value = list
      loaded.value = true
      // An epoch event appends to the selected run without a refetch; the list brings its best epoch.
      const d = detail.value
      const item = d && list.find((r) => r.id === d.id)
      if (d && item && item.status === d.status) Object.assign(d, { bestEpoch: item.bestEpoch, epochsDone: item.epochsDone })
      if (selectedId.value !== null && !list.some((r) => r.id === selectedId.value)) clearSelection()
      if (selectedId.value === null) {
        // Show what is happening: the active model run, else the newest one.
        const models = list.filter((r) => r.kind === 'model')
        const pick = models.find((r) => r.status === 'running') ?? models.find((r) => r.status === 'queued') ?? models[0]
        if (pick) await select(pick.id)
      }
    })
  }

  function clearSelection() {
    selectedId.value = null
    detail.value = null
  }

  async function loadDetail(id: number) {
    try {
      const d = await api.call('run:get', { id })
      if (selectedId.value === id) detail.value = d
    } catch (err) {
      if (selectedId.value === id) error.value = errorMessage(err)
    }
  }

  async function select(id: number) {
    if (selectedId.value !== id) detail.value = null
    selectedId.value = id
    await loadDetail(id)
  }

  async function start(): Promise<number | null> {
    const input = setup.value
    if (!input) return null
    starting.value = true
    try {
      const r = await guard(() => api.call('train:start', input))
      if (!r) return null
      traces.value[r.runId] = []
      monitorFocus.value++
      await select(r.runId)
      await refresh()
      return r.runId
    } finally {
      starting.value = false
    }
  }

  async function cancel(id: number) {
    const r = await guard(() => api.call('train:cancel', { runId: id }))
    if (r && selectedId.value === id) await loadDetail(id)
  }

  async function resume(id: number) {
    const r = await guard(() => api.call('train:resume', { runId: id }))
    if (!r) return
    // The epochs after the last checkpoint run again: drop their live points.
    const done = detail.value?.id === id ? detail.value.epochsDone : 0
    traces.value[id] = (traces.value[id] ?? []).filter((p) => p.x <= done)
    await select(id)
    await refresh()
  }

  async function remove(id: number): Promise<boolean> {
    const r = await guard(() => api.call('run:delete', { id }))
    if (!r) return false
    if (selectedId.value === id) clearSelection()
    compareIds.value = compareIds.value.filter((x) => x !== id)
    delete traces.value[id]
    await refresh()
    return true
  }

  // ── comparison ─────────────────────────────────────────────────────────────────────
  const compareIds = ref<number[]>([])
  const comparison = ref<RunComparison | null>(null)
  const compareError = ref<string | null>(null)
  /** the verdict of each compared model run (from its run:get), null when it has none */
  const verdicts = ref<Record<number, RunVerdict | null>>({})
  let compareSeq = 0

  async function loadVerdicts(c: RunComparison) {
    const missing = c.runs.filter((r) => r.kind === 'model' && r.status === 'completed' && !(r.runId in verdicts.value))
    await Promise.all(
      missing.map(async (r) => {
        try {
          const d = await api.call('run:get', { id: r.runId })
          verdicts.value[r.runId] = d.verdict ?? null
        } catch {
          // The comparison itself still shows; the verdict line is left out.
        }
      }),
    )
  }

  async function compare() {
    const ids = [...compareIds.value]
    const seq = ++compareSeq
    if (!ids.length) {
      comparison.value = null
      compareError.value = null
      return
    }
    try {
      const c = await api.call('run:compare', { ids, withBaselines: true })
      if (seq !== compareSeq) return
      comparison.value = c
      compareError.value = null
      void loadVerdicts(c)
    } catch (err) {
      if (seq === compareSeq) compareError.value = errorMessage(err)
    }
  }
  watch(compareIds, () => void compare(), { deep: true })

  function toggleCompare(id: number, on: boolean) {
    const has = compareIds.value.includes(id)
    if (on && !has) compareIds.value = [...compareIds.value, id]
    if (!on && has) compareIds.value = compareIds.value.filter((x) => x !== id)
  }

  // ── events ─────────────────────────────────────────────────────────────────────────
  let listTimer: ReturnType<typeof setTimeout> | undefined
  let compareTimer: ReturnType<typeof setTimeout> | undefined
  const later = (timer: ReturnType<typeof setTimeout> | undefined, fn: () => void) => {
    clearTimeout(timer)
    return setTimeout(fn, 150)
  }

  api.on('train:progress', (p) => {
    const { runId, ...progress } = p
    // Read back through the reactive record, so the first push is seen too.
    if (!traces.value[runId]) traces.value[runId] = []
    const trace = traces.value[runId]
    trace.push({ x: p.epoch - 1 + p.step / Math.max(1, p.stepsPerEpoch), losses: p.losses })
    if (trace.length > MAX_TRACE) traces.value[runId] = trace.filter((_, i) => i % 2 === 0 || i === trace.length - 1)
    const d = detail.value
    if (d && d.id === runId) {
      d.progress = progress
      if (d.status === 'queued') d.status = 'running'
    }
  })

  api.on('run:changed', (e) => {
    if (e.projectId !== projects.openId) return
    listTimer = later(listTimer, () => void refresh())
    const d = detail.value
    if (e.runId === selectedId.value) {
      if (e.status === 'deleted') clearSelection()
      else if (d && e.epoch && e.status === d.status) {
        if (!d.epochLog.some((x) => x.epoch === e.epoch!.epoch)) d.epochLog.push(e.epoch)
        d.epochsDone = Math.max(d.epochsDone, e.epoch.epoch)
      } else void loadDetail(e.runId)
    }
    if (e.status === 'running' && !backends.value?.worker) void loadBackends()
    if (TERMINAL.includes(e.status) || e.status === 'deleted') delete verdicts.value[e.runId]
    if (compareIds.value.length && (TERMINAL.includes(e.status) || e.status === 'deleted')) {
      if (e.status === 'deleted') compareIds.value = compareIds.value.filter((x) => x !== e.runId)
      compareTimer = later(compareTimer, () => void compare())
    }
  })

  watch(
    () => projects.openId,
    () => {
      clearSelection()
      compareIds.value = []
      verdicts.value = {}
      runs.value = []
      loaded.value = false
      form.datasetId = null
      void refresh()
    },
  )

  return {
    form,
    setup,
    estimate,
    setupError,
    starting,
    backends,
    runs,
    selectedId,
    detail,
    traces,
    error,
    loaded,
    monitorFocus,
    runNumbers,
    baselinesOf,
    runLabel,
    compareIds,
    comparison,
    compareError,
    verdicts,
    refresh,
    refreshEstimate,
    loadBackends,
    select,
    start,
    cancel,
    resume,
    remove,
    toggleCompare,
    compare,
  }
})
