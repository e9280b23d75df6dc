import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { AppError, confirmNeededOf, type SearchResult } from '../../../src-shared/contract'
import { costText } from '../../../src-shared/domain/design-cost'
import { api, errorMessage } from '../../api/client'
import { splitGenes } from './gene-text'
import { storeJob } from '../../composables/use-job'
import { useDesignStore } from './use-design-store'
import { useMapStore } from './use-map-store'

export type SignatureMode = 'lists' | 'text'

/**
 * The target-phenotype search: the signature (genes up / down, or a pasted profile), the
 * candidates, and the core's ranking, ties included (candidates it cannot tell apart share a rank).
 */
export const useSearchStore = defineStore('design-search', () => {
  const design = useDesignStore()
  const mapStore = useMapStore()

  const signatureMode = ref<SignatureMode>('lists')
  const signatureUp = ref('')
  const signatureDown = ref('')
  const signatureText = ref('')
  /** candidates: the genes of the map shown, or every gene the run saw in training */
  const candidates = ref<'map' | 'seen'>('seen')
  const pairs = ref(true)
  const rankBy = ref<'cosine' | 'pearson'>('cosine')
  const top = ref(50)
  const job = storeJob('design')
  const searching = ref(false)
  const error = ref<string | null>(null)
  const confirmAsk = ref<string | null>(null)
  const result = ref<SearchResult | null>(null)

  const signature = computed<{ up: string[]; down: string[] } | { text: string }>(() =>
    signatureMode.value === 'lists' ? { up: splitGenes(signatureUp.value), down: splitGenes(signatureDown.value) } : { text: signatureText.value },
  )
  const signatureEmpty = computed(() => {
    const s = signature.value
    return 'text' in s ? !s.text.trim() : !s.up.length && !s.down.length
  })

  async function search(confirm = false) {
    const id = design.runId
    if (id === null || signatureEmpty.value || searching.value) return
    error.value = null
    confirmAsk.value = null
    searching.value = true
    const jobId = job.begin()
    try {
      const map = mapStore.map
      const genes = candidates.value === 'map' && map ? { genes: map.geneList.map((g) => g.gene) } : {}
      const r = await api.call('design:search', { runId: id, signature: signature.value, ...genes, pairs: pairs.value, rankBy: rankBy.value, top: top.value, confirm, jobId })
      if (design.runId === id) result.value = r
    } catch (err) {
      if (design.runId !== id) return
      const ask = confirmNeededOf(err)
      if (ask) confirmAsk.value = costText(ask)
      else if (err instanceof AppError && err.code === 'job.cancelled') error.value = 'The search was cancelled.'
      else error.value = errorMessage(err)
    } finally {
      searching.value = false
      job.end()
    }
  }

  watch(
    () => design.runId,
    () => {
      result.value = null
      error.value = null
      confirmAsk.value = null
    },
  )

  return { signatureMode, signatureUp, signatureDown, signatureText, candidates, pairs, rankBy, top, job, searching, error, confirmAsk, result, signatureEmpty, search }
})
