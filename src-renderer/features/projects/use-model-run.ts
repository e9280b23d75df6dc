import { computed, ref, watch } from 'vue'
import type { PredictGenes, RunListItem } from '../../../src-shared/contract'
import { api, errorMessage } from '../../api/client'
import { useProjectsStore } from './use-projects-store'

/**
 * For a store whose screen works with one finished model run of the open project (Predict,
 * Design): the project's runs, kept current as runs end and projects change, the chosen run (the
 * first model run until the user picks one) and the genes it can perturb. The store's hooks reset
 * and load what else belongs to the run or the project.
 */
export function useModelRun(opts: {
  /** list the baselines too (Predict compares a run with them) */
  includeBaselines?: boolean
  /** a run was chosen (null: none); its genes are already loading */
  onRunChosen?: (id: number | null) => void
  /** the list was reloaded: drop what no longer exists, before the first model run is chosen */
  onReloaded?: () => void
  /** another project opened: the run is cleared and the list is about to reload */
  onProjectChanged?: () => void
} = {}) {
  const projects = useProjectsStore()

  const runs = ref<RunListItem[]>([])
  const loaded = ref(false)
  const runId = ref<number | null>(null)
  const error = ref<string | null>(null)

  /** Model runs that finished: the ones that can predict. */
  const modelRuns = computed(() => runs.value.filter((r) => r.kind === 'model' && r.status === 'completed'))
  const run = computed(() => runs.value.find((r) => r.id === runId.value) ?? null)

  async function refreshRuns() {
    const projectId = projects.openId
    if (projectId === null) {
      runs.value = []
      loaded.value = true
      return
    }
    try {
      const list = await api.call('run:list', opts.includeBaselines ? { projectId, includeBaselines: true } : { projectId })
      if (projects.openId !== projectId) return
      runs.value = list
      loaded.value = true
      if (runId.value !== null && !modelRuns.value.some((r) => r.id === runId.value)) setRun(null)
      opts.onReloaded?.()
      if (runId.value === null && modelRuns.value.length) setRun(modelRuns.value[0].id)
    } catch (err) {
      error.value = errorMessage(err)
    }
  }

  // ── the run's perturbable genes ────────────────────────────────────────────────────
  const genes = ref<PredictGenes | null>(null)
  const genesError = ref<string | null>(null)
  const geneIndex = computed(() => new Map((genes.value?.genes ?? []).map((g) => [g.gene.toUpperCase(), g])))

  async function loadGenes(id: number) {
    genesError.value = null
    try {
      const g = await api.call('predict:genes', { runId: id })
      if (runId.value === id) genes.value = g
    } catch (err) {
      if (runId.value === id) genesError.value = errorMessage(err)
    }
  }

  function setRun(id: number | null) {
    if (runId.value === id) return
    runId.value = id
    genes.value = null
    genesError.value = null
    if (id !== null) void loadGenes(id)
    opts.onRunChosen?.(id)
  }

  api.on('run:changed', (e) => {
    if (e.projectId !== projects.openId) return
    if (['completed', 'deleted', 'failed', 'cancelled'].includes(e.status)) void refreshRuns()
  })

  watch(
    () => projects.openId,
    () => {
      setRun(null)
      runs.value = []
      loaded.value = false
      error.value = null
      opts.onProjectChanged?.()
      void refreshRuns()
    },
  )

  return { runs, loaded, runId, error, modelRuns, run, genes, genesError, geneIndex, refreshRuns, setRun }
}
