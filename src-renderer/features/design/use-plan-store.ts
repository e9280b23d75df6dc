import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import type { GuidePlan } from '../../../src-shared/contract'
import { api, errorMessage } from '../../api/client'
import { useDesignStore } from './use-design-store'
import { useMapStore } from './use-map-store'

/**
 * The shortlist and the guide plan the core makes of it: predicted scores and type, top changes,
 * and the guides the screen used against each gene with their knockdown. Reloaded whenever the
 * shortlist or the map shown changes.
 */
export const usePlanStore = defineStore('design-plan', () => {
  const design = useDesignStore()
  const mapStore = useMapStore()

  const shortlist = ref<string[]>([])
  const plan = ref<GuidePlan | null>(null)
  const planError = ref<string | null>(null)
  const planLoading = ref(false)
  let planSeq = 0

  function inShortlist(condition: string): boolean {
    return shortlist.value.includes(condition)
  }

  function addToShortlist(condition: string) {
    if (!inShortlist(condition)) shortlist.value = [...shortlist.value, condition]
  }

  function removeFromShortlist(condition: string) {
    shortlist.value = shortlist.value.filter((c) => c !== condition)
  }

  /** The id of the map shown when it belongs to the run (its scores and thresholds are reused). */
  function mapId(): number | null {
    const m = mapStore.map
    return m && m.runId === design.runId ? m.mapId : null
  }

  async function loadPlan() {
    const id = design.runId
    const mine = ++planSeq
    planError.value = null
    if (id === null || !shortlist.value.length) {
      plan.value = null
      planLoading.value = false
      return
    }
    planLoading.value = true
    try {
      const m = mapId()
      const p = await api.call('design:plan', { runId: id, items: [...shortlist.value], ...(m !== null ? { mapId: m } : {}) })
      if (mine === planSeq) plan.value = p
    } catch (err) {
      if (mine === planSeq) planError.value = errorMessage(err)
    } finally {
      if (mine === planSeq) planLoading.value = false
    }
  }
  watch([shortlist, () => mapStore.map?.mapId], () => void loadPlan())
  watch(
    () => design.runId,
    () => (shortlist.value = []),
  )

  return { shortlist, plan, planError, planLoading, inShortlist, addToShortlist, removeFromShortlist, mapId, loadPlan }
})
