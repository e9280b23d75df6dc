import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import type { ConditionDe, DatasetDetail, DatasetSummary, DeHeatmap, DeTable } from '../../../src-shared/contract'
import { api, errorMessage } from '../../api/client'
import { useProjectsStore } from '../projects/use-projects-store'

/** The open project's datasets, the selected one's details and its DE view. */
export const useDatasetsStore = defineStore('datasets', () => {
  const projects = useProjectsStore()
  const list = ref<DatasetSummary[]>([])
  const selected = ref<DatasetDetail | null>(null)
  const de = ref<ConditionDe | null>(null)
  /** every gene of the DE condition, tested (volcano, DE table, knockdown) */
  const deTable = ref<DeTable | null>(null)
  const heatmap = ref<DeHeatmap | null>(null)
  const error = ref<string | null>(null)
  const loading = ref(false)

  async function refresh() {
    error.value = null
    if (projects.openId === null) {
      list.value = []
      selected.value = null
      return
    }
    loading.value = true
    try {
      list.value = await api.call('dataset:list', { projectId: projects.openId })
      const keep = selected.value && list.value.find((d) => d.datasetId === selected.value!.datasetId)
      if (keep) await select(keep.datasetId)
      else if (list.value.length) await select(list.value[0].datasetId)
      else selected.value = null
    } catch (err) {
      error.value = errorMessage(err)
    } finally {
      loading.value = false
    }
  }

  async function select(id: number) {
    error.value = null
    try {
      const detail = await api.call('dataset:get', { id })
      // Selecting the dataset already shown (a click on it, a refresh) keeps its DE view: the
      // overview asks for DE only when the dataset or the condition changes.
      if (selected.value?.datasetId !== detail.datasetId) {
        de.value = null
        deTable.value = null
        heatmap.value = null
      }
      selected.value = detail
    } catch (err) {
      error.value = errorMessage(err)
    }
  }

  let deSeq = 0
  async function loadDe(condition: string) {
    if (!selected.value) return
    const seq = ++deSeq
    try {
      const result = await api.call('dataset:de', { id: selected.value.datasetId, condition, top: 20 })
      // only the latest request's answer is shown
      if (seq === deSeq) de.value = result
    } catch (err) {
      if (seq === deSeq) error.value = errorMessage(err)
    }
  }

  let tableSeq = 0
  async function loadDeTable(condition: string) {
    if (!selected.value) return
    const seq = ++tableSeq
    try {
      const result = await api.call('dataset:de-table', { id: selected.value.datasetId, condition })
      if (seq === tableSeq) deTable.value = result
    } catch (err) {
      if (seq === tableSeq) error.value = errorMessage(err)
    }
  }

  async function loadHeatmap(options: { genesPerCondition?: number; maxGenes?: number } = {}) {
    if (!selected.value) return
    const id = selected.value.datasetId
    try {
      const result = await api.call('dataset:de-heatmap', { id, ...options })
      if (selected.value?.datasetId === id) heatmap.value = result
    } catch (err) {
      error.value = errorMessage(err)
    }
  }

  async function remove(id: number) {
    try {
      await api.call('dataset:delete', { id })
      if (selected.value?.datasetId === id) selected.value = null
      await refresh()
      await projects.refresh()
    } catch (err) {
      error.value = errorMessage(err)
    }
  }

  watch(() => projects.openId, () => void refresh())

  return { list, selected, de, deTable, heatmap, error, loading, refresh, select, loadDe, loadDeTable, loadHeatmap, remove }
})
