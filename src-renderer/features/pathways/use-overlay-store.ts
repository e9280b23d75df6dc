import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { ChangeSourceInput, ChangeSources, EnrichmentOptions, EnrichmentResult, PathwayOverlay } from '../../../src-shared/contract'
import { ENRICHMENT_DEFAULTS } from '../../../src-shared/contract/channels/enrichment'
import { api, errorMessage } from '../../api/client'
import { useDatasetsStore } from '../datasets/use-datasets-store'
import { usePathwaysStore } from './use-pathways-store'

export type SourceKind = 'none' | 'measured' | 'prediction'

/**
 * The change laid over the pathway browser: which condition (observed in the selected dataset, or
 * a saved prediction), the selected pathway's overlay, and the pathway-enrichment test of that
 * condition's changed genes.
 */
export const useOverlayStore = defineStore('pathway-overlay', () => {
  const datasets = useDatasetsStore()
  const pathways = usePathwaysStore()

  const kind = ref<SourceKind>('none')
  const condition = ref('')
  const predictionId = ref<number | null>(null)
  const sources = ref<ChangeSources | null>(null)
  const overlay = ref<PathwayOverlay | null>(null)
  const overlayError = ref<string | null>(null)

  const options = ref<EnrichmentOptions>({ ...ENRICHMENT_DEFAULTS })
  const enrichment = ref<EnrichmentResult | null>(null)
  const enriching = ref(false)
  const enrichError = ref<string | null>(null)

  const source = computed<ChangeSourceInput | null>(() => {
    if (kind.value === 'measured' && datasets.selected && condition.value) return { datasetId: datasets.selected.datasetId, condition: condition.value }
    if (kind.value === 'prediction' && predictionId.value !== null) return { predictionId: predictionId.value }
    return null
  })
  const sourceKey = computed(() => JSON.stringify(source.value))
  const withRelease = () => (pathways.release ? { release: pathways.release } : {})

  async function loadSources() {
    const id = datasets.selected?.datasetId
    if (!id) {
      sources.value = null
      return
    }
    try {
      const s = await api.call('enrichment:sources', { datasetId: id })
      if (datasets.selected?.datasetId !== id) return
      sources.value = s
      if (!s.measured.some((m) => m.condition === condition.value)) condition.value = s.measured[0]?.condition ?? ''
      if (predictionId.value !== null && !s.predictions.some((p) => p.predictionId === predictionId.value)) predictionId.value = s.predictions[0]?.predictionId ?? null
      if (predictionId.value === null) predictionId.value = s.predictions[0]?.predictionId ?? null
    } catch (err) {
      overlayError.value = errorMessage(err)
    }
  }

  let overlaySeq = 0
  async function loadOverlay() {
    const seq = ++overlaySeq
    overlayError.value = null
    const id = pathways.pathway?.id
    const src = source.value
    if (!id || !src || !pathways.ready) {
      overlay.value = null
      return
    }
    try {
      const o = await api.call('enrichment:overlay', { ...withRelease(), id, source: src })
      if (seq === overlaySeq) overlay.value = o
    } catch (err) {
      if (seq === overlaySeq) {
        overlay.value = null
        overlayError.value = errorMessage(err)
      }
    }
  }

  async function runEnrichment() {
    const src = source.value
    if (!src) return
    enriching.value = true
    enrichError.value = null
    try {
      enrichment.value = await api.call('enrichment:run', { ...withRelease(), source: src, options: options.value })
    } catch (err) {
      enrichError.value = errorMessage(err)
    } finally {
      enriching.value = false
    }
  }

  /** From the Predict screen: colour by this saved prediction and test it. */
  async function showPrediction(id: number, datasetId: number) {
    if (datasets.selected?.datasetId !== datasetId) await datasets.select(datasetId)
    kind.value = 'prediction'
    predictionId.value = id
    enrichment.value = null
    await loadSources()
    predictionId.value = id
    await runEnrichment()
  }

  watch(() => datasets.selected?.datasetId, () => void loadSources(), { immediate: true })
  watch([() => pathways.pathway?.id, sourceKey, () => pathways.release], () => void loadOverlay())
  // A result that no longer matches the chosen condition is dropped rather than shown mislabelled.
  watch(sourceKey, () => {
    if (enrichment.value && JSON.stringify(source.value) !== JSON.stringify(keyOf(enrichment.value))) enrichment.value = null
  })

  return { kind, condition, predictionId, sources, source, overlay, overlayError, options, enrichment, enriching, enrichError, loadSources, runEnrichment, showPrediction }
})

function keyOf(r: EnrichmentResult): ChangeSourceInput {
  return r.source.kind === 'prediction' ? { predictionId: r.source.predictionId! } : { datasetId: r.source.datasetId, condition: r.source.condition }
}
