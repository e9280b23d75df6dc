import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import type { GiMapSummary } from '../../../src-shared/contract'
import { api, errorMessage } from '../../api/client'
import { useDesignStore } from './use-design-store'
import { useMapStore } from './use-map-store'

/** The run's stored pair maps: listed (again whenever a new map is shown), opened as computed, deleted. */
export const useMapHistoryStore = defineStore('design-map-history', () => {
  const design = useDesignStore()
  const mapStore = useMapStore()

  const maps = ref<GiMapSummary[]>([])
  const mapsError = ref<string | null>(null)

  async function loadMaps(id: number) {
    try {
      const list = await api.call('design:maps', { runId: id })
      if (design.runId !== id) return
      maps.value = list
      mapsError.value = null
    } catch (err) {
      if (design.runId === id) mapsError.value = errorMessage(err)
    }
  }

  async function openMap(mapId: number) {
    mapStore.mapError = null
    try {
      const m = await api.call('design:get', { mapId })
      if (m.runId !== design.runId) return
      mapStore.showMap(m)
    } catch (err) {
      mapStore.mapError = errorMessage(err)
    }
  }

  async function deleteMap(mapId: number) {
    try {
      await api.call('design:delete', { mapId })
      if (mapStore.map?.mapId === mapId) mapStore.showMap(null)
      if (design.runId !== null) await loadMaps(design.runId)
    } catch (err) {
      mapsError.value = errorMessage(err)
    }
  }

  watch(
    () => design.runId,
    (id) => {
      maps.value = []
      mapsError.value = null
      if (id !== null) void loadMaps(id)
    },
    { immediate: true },
  )
  // A map just computed is stored: list it.
  watch(
    () => mapStore.map?.mapId,
    (mapId) => {
      if (mapId !== undefined && design.runId !== null && !maps.value.some((m) => m.mapId === mapId)) void loadMaps(design.runId)
    },
  )

  return { maps, mapsError, loadMaps, openMap, deleteMap }
})
