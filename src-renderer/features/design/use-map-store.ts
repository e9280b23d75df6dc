import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { AppError, confirmNeededOf, type GiMap, type GiScoreName, type HeatmapOrder } from '../../../src-shared/contract'
import { costText, mapCostText } from '../../../src-shared/domain/design-cost'
import { api, errorMessage } from '../../api/client'
import { storeJob } from '../../composables/use-job'
import { useDesignStore } from './use-design-store'
import { useGeneSetStore } from './use-gene-set-store'

/**
 * The pair map: computing one (progress, cancel, the go-ahead a large map needs), the map shown,
 * and how it is viewed (the score coloured, the gene order, the pair opened). The scores and type
 * calls all come from the core.
 */
export const useMapStore = defineStore('design-map', () => {
  const design = useDesignStore()
  const geneSet = useGeneSetStore()

  const job = storeJob('design')
  const mapping = ref(false)
  const mapError = ref<string | null>(null)
  /** a large map waiting for the user's go-ahead: what it will cost */
  const confirmAsk = ref<string | null>(null)
  const map = ref<GiMap | null>(null)

  const score = ref<GiScoreName>('mag')
  const order = ref<HeatmapOrder>('given')
  /** the pair shown in detail (its condition) */
  const selected = ref<string | null>(null)
  const selectedPair = computed(() => map.value?.pairs.find((p) => p.condition === selected.value) ?? null)

  async function runMap(confirm = false) {
    const id = design.runId
    if (id === null || !geneSet.ready || mapping.value) return
    mapError.value = null
    if (!confirm && geneSet.estimate?.needsConfirmation) {
      confirmAsk.value = mapCostText(geneSet.estimate)
      return
    }
    confirmAsk.value = null
    mapping.value = true
    const jobId = job.begin()
    try {
      const m = await api.call('design:map', {
        runId: id,
        ...geneSet.geneSource(),
        scope: geneSet.scope,
        ...(geneSet.scope === 'all' ? { maxUncertainty: geneSet.uncertaintyMode === 'auto' ? ('auto' as const) : geneSet.maxUncertainty } : {}),
        confirm,
        jobId,
      })
      if (design.runId !== id) return
      showMap(m)
    } catch (err) {
      if (design.runId !== id) return
      const ask = confirmNeededOf(err)
      if (ask) confirmAsk.value = costText(ask)
      else if (err instanceof AppError && err.code === 'job.cancelled') mapError.value = 'The map was cancelled; nothing was kept.'
      else mapError.value = errorMessage(err)
    } finally {
      mapping.value = false
      job.end()
    }
  }

  function showMap(m: GiMap | null) {
    map.value = m
    selected.value = null
  }

  watch(
    () => design.runId,
    () => {
      showMap(null)
      mapError.value = null
      confirmAsk.value = null
    },
  )

  return { job, mapping, mapError, confirmAsk, map, score, order, selected, selectedPair, runMap, showMap }
})
