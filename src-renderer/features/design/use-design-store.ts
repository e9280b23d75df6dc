import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { PredictGenes, RunListItem } from '../../../src-shared/contract'
import { api, errorMessage } from '../../api/client'
import { useProjectsStore } from '../projects/use-projects-store'

/**
 * Design: which of the open project's finished model runs the screen designs with, and the genes
 * that run can perturb. Each part of the screen keeps its own store and resets itself when the
 * run changes: the gene set and estimate (`use-gene-set-store`), the pair map shown
 * (`use-map-store`), the stored maps (`use-map-history-store`), the guide plan
 * (`use-plan-store`) and the target search (`use-search-store`).
 */
export const useDesignStore = defineStore('design', () => {
  const projects = useProjectsStore()

  const runs = ref<RunListItem[]>([])
  const loaded = ref(false)
  const runId = ref<number | null>(null)
  const error = ref<string | null>(null)

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
      const list = await api.call('run:list', { projectId })
      if (projects.openId !== projectId) return
      runs.value = list
      loaded.value = true
      if (runId.value !== null && !modelRuns.value.some((r) => r.id === runId.value)) setRun(null)
      if (runId.value === null && modelRuns.value.length) setRun(modelRuns.value[0].id)
    } catch (err) {
      error.value = errorMessage(err)
    }
  }

  // ── the run's perturbable genes ────────────────────────────────────────────────────
  const genes = ref<PredictGenes | null>(null)
  const genesError = ref<string | null>(null)
  const geneIndex = computed(() => new Map((genes.value?.genes ?? []).map((g) => [g.gene.toUpperCase(), g])))
  /** The run was trained on a dataset with measured pairs (else it cannot predict two genes at once). */
  const canPair = computed(() => (genes.value ? genes.value.maxSetSize >= 2 : true))

  async function loadGenes(id: number) {
    genesError.value = null
    try {
      const g = await api.call('predict:genes', { runId: id })
      if (runId.value === id) genes.value = g
    } catch (err) {
      if (runId.value === id) genesError.value = errorMessage(err)
    }
  }

  /** Chooses the run; the other design stores watch `runId` and start over. */
  function setRun(id: number | null) {
    if (runId.value === id) return
    runId.value = id
    genes.value = null
    genesError.value = null
    if (id !== null) void loadGenes(id)
  }

  api.on('run:changed', (e) => {
    if (e.projectId !== projects.openId) return
    if (['completed', 'deleted', 'failed', 'cancelled'].includes(e.status)) void refreshRuns()
  })

  /** Set when the open project changes (the gene set store clears its text on it). */
  const projectSeq = ref(0)
  watch(
    () => projects.openId,
    () => {
      setRun(null)
      runs.value = []
      loaded.value = false
      error.value = null
      projectSeq.value++
      void refreshRuns()
    },
  )

  return { runs, loaded, modelRuns, run, runId, error, genes, genesError, geneIndex, canPair, projectSeq, refreshRuns, setRun }
})
