import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import {
  AppError,
  GI_DEFAULTS,
  type GiMap,
  type GiMapSummary,
  type GiScoreName,
  type GuidePlan,
  type HeatmapOrder,
  type MapEstimate,
  type MapScope,
  type PerturbableGene,
  type PredictGenes,
  type RunListItem,
  type SearchResult,
} from '../../../src-shared/contract'
import { api, errorMessage } from '../../api/client'
import { useProjectsStore } from '../projects/use-projects-store'
import { storeJob } from './job'

/** The genes picked from a Reactome pathway: kept as the map's origin while the text still lists exactly them. */
export interface PathwayPick {
  id: string
  name: string
  /** the pathway's genes (with its sub-pathways') this run can perturb, in the pathway's order */
  genes: string[]
  /** all genes of the pathway and its sub-pathways */
  total: number
}

export type SignatureMode = 'lists' | 'text'

/** Splits typed or pasted genes as the core does (commas, spaces, semicolons, tabs or lines). */
export function splitGenes(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((g) => g.trim())
    .filter((g) => g !== '')
}

/** The core's "please confirm" message without its instruction to API callers. */
function confirmText(message: string): string {
  return message.replace(/\s*Send confirm: true \(CLI: --yes\) to [^.]*\.?$/, '').replace(/\s*Confirm to go ahead\.$/, '')
}

/**
 * Design: the open project's finished model runs, the gene set of a pair map (typed, pasted or
 * from a Reactome pathway) with the core's estimate, the map (progress, cancel, stored maps), the
 * view of it (score, order, selected pair), the shortlist that becomes the guide plan, and the
 * target-phenotype search. The scores and type calls all come from the core.
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

  // ── the gene set ───────────────────────────────────────────────────────────────────
  const geneText = ref('')
  const pathway = ref<PathwayPick | null>(null)
  const pathwayError = ref<string | null>(null)
  const scope = ref<MapScope>('placed')
  /** scope `all`: the uncertainty cut for pairs with no seen gene, `auto` or a value */
  const uncertaintyMode = ref<'auto' | 'value'>('auto')
  const maxUncertainty = ref(0.5)

  const tokens = computed(() => splitGenes(geneText.value))
  /** The text still lists exactly the pathway's genes, so the map records the pathway as its origin. */
  const fromPathway = computed(() => {
    const p = pathway.value
    if (!p) return false
    const t = tokens.value
    return t.length === p.genes.length && t.every((g, i) => g === p.genes[i])
  })

  interface SetCheck {
    /** each distinct gene, with the run's entry (null: the run cannot perturb it as typed) */
    genes: { gene: string; info: PerturbableGene | null }[]
    duplicates: string[]
    unknown: string[]
    pairs: number
  }
  const check = computed<SetCheck>(() => {
    const seen = new Set<string>()
    const dup = new Set<string>()
    const list: SetCheck['genes'] = []
    for (const t of tokens.value) {
      const key = t.toUpperCase()
      if (seen.has(key)) {
        dup.add(t)
        continue
      }
      seen.add(key)
      list.push({ gene: t, info: geneIndex.value.get(key) ?? null })
    }
    const n = list.length
    return { genes: list, duplicates: [...dup], unknown: genes.value ? list.filter((g) => !g.info).map((g) => g.gene) : [], pairs: (n * (n - 1)) / 2 }
  })

  function removeDuplicates() {
    const seen = new Set<string>()
    geneText.value = tokens.value.filter((t) => (seen.has(t.toUpperCase()) ? false : (seen.add(t.toUpperCase()), true))).join(', ')
  }

  function addGene(symbol: string) {
    const g = geneIndex.value.get(symbol.toUpperCase())?.gene ?? symbol
    if (tokens.value.some((t) => t.toUpperCase() === g.toUpperCase())) return
    geneText.value = [...tokens.value, g].join(', ')
  }

  /** Puts a pathway's genes (those this run can perturb) in the gene set. */
  async function pickPathway(id: string) {
    pathwayError.value = null
    const release = genes.value?.knowledgeRelease
    if (!release) {
      pathwayError.value = 'This run was trained without a knowledge release, so there are no pathways to pick genes from; type the genes instead.'
      return
    }
    try {
      const p = await api.call('knowledge:pathway', { release, id })
      const own = p.allGenes.filter((g) => geneIndex.value.has(g.toUpperCase())).map((g) => geneIndex.value.get(g.toUpperCase())!.gene)
      if (!own.length) {
        pathwayError.value = `None of the ${p.allGenes.length} genes of ${p.name} (${p.id}) can be perturbed by this run.`
        return
      }
      pathway.value = { id: p.id, name: p.name, genes: own, total: p.allGenes.length }
      geneText.value = own.join(', ')
    } catch (err) {
      pathwayError.value = errorMessage(err)
    }
  }

  function geneSource(): { genes: string[] } | { pathwayId: string } {
    return fromPathway.value && pathway.value ? { pathwayId: pathway.value.id } : { genes: tokens.value }
  }

  // ── the estimate (before running) ──────────────────────────────────────────────────
  const estimate = ref<MapEstimate | null>(null)
  const estimateError = ref<string | null>(null)
  const estimating = ref(false)
  let estimateSeq = 0
  let estimateTimer: ReturnType<typeof setTimeout> | undefined

  const ready = computed(() => runId.value !== null && canPair.value && check.value.genes.length >= 2 && !check.value.duplicates.length)

  watch([runId, () => tokens.value.join(','), scope, fromPathway], () => {
    clearTimeout(estimateTimer)
    const mine = ++estimateSeq
    estimate.value = null
    estimateError.value = null
    estimating.value = false
    if (!ready.value) return
    estimateTimer = setTimeout(async () => {
      estimating.value = true
      try {
        const e = await api.call('design:estimate', { runId: runId.value!, ...geneSource(), scope: scope.value })
        if (mine === estimateSeq) estimate.value = e
      } catch (err) {
        if (mine === estimateSeq) estimateError.value = errorMessage(err)
      } finally {
        if (mine === estimateSeq) estimating.value = false
      }
    }, 400)
  })

  // ── the map ────────────────────────────────────────────────────────────────────────
  const job = storeJob()
  const mapping = ref(false)
  const mapError = ref<string | null>(null)
  /** a large map waiting for the user's go-ahead: what it will cost */
  const confirmAsk = ref<string | null>(null)
  const map = ref<GiMap | null>(null)
  const maps = ref<GiMapSummary[]>([])
  const mapsError = ref<string | null>(null)

  const score = ref<GiScoreName>('mag')
  const order = ref<HeatmapOrder>('given')
  /** the pair shown in detail (its condition) */
  const selected = ref<string | null>(null)
  const selectedPair = computed(() => map.value?.pairs.find((p) => p.condition === selected.value) ?? null)

  async function runMap(confirm = false) {
    const id = runId.value
    if (id === null || !ready.value || mapping.value) return
    mapError.value = null
    if (!confirm && estimate.value?.needsConfirmation) {
      confirmAsk.value = confirmText(estimate.value.message)
      return
    }
    confirmAsk.value = null
    mapping.value = true
    const jobId = job.begin()
    try {
      const m = await api.call('design:map', {
        runId: id,
        ...geneSource(),
        scope: scope.value,
        ...(scope.value === 'all' ? { maxUncertainty: uncertaintyMode.value === 'auto' ? ('auto' as const) : maxUncertainty.value } : {}),
        confirm,
        jobId,
      })
      if (runId.value !== id) return
      showMap(m)
      void loadMaps(id)
    } catch (err) {
      if (runId.value !== id) return
      if (err instanceof AppError && err.code === 'design.confirm-needed') confirmAsk.value = confirmText(err.message)
      else if (err instanceof AppError && err.code === 'job.cancelled') mapError.value = 'The map was cancelled; nothing was kept.'
      else mapError.value = errorMessage(err)
    } finally {
      mapping.value = false
      job.end()
    }
  }

  function showMap(m: GiMap) {
    map.value = m
    selected.value = null
  }

  async function loadMaps(id: number) {
    try {
      const list = await api.call('design:maps', { runId: id })
      if (runId.value !== id) return
      maps.value = list
      mapsError.value = null
    } catch (err) {
      if (runId.value === id) mapsError.value = errorMessage(err)
    }
  }

  async function openMap(mapId: number) {
    mapError.value = null
    try {
      const m = await api.call('design:get', { mapId })
      if (m.runId !== runId.value) return
      showMap(m)
    } catch (err) {
      mapError.value = errorMessage(err)
    }
  }

  async function deleteMap(mapId: number) {
    try {
      await api.call('design:delete', { mapId })
      if (map.value?.mapId === mapId) map.value = null
      if (runId.value !== null) await loadMaps(runId.value)
    } catch (err) {
      mapsError.value = errorMessage(err)
    }
  }

  // ── shortlist → guide plan ─────────────────────────────────────────────────────────
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

  /** The plan's rows (predicted scores, type, top changes) from the core, for the shortlist as it is now. */
  async function loadPlan() {
    const id = runId.value
    const mine = ++planSeq
    planError.value = null
    if (id === null || !shortlist.value.length) {
      plan.value = null
      planLoading.value = false
      return
    }
    planLoading.value = true
    try {
      const p = await api.call('design:plan', { runId: id, items: [...shortlist.value], ...(map.value && map.value.runId === id ? { mapId: map.value.mapId } : {}) })
      if (mine === planSeq) plan.value = p
    } catch (err) {
      if (mine === planSeq) planError.value = errorMessage(err)
    } finally {
      if (mine === planSeq) planLoading.value = false
    }
  }
  watch([shortlist, () => map.value?.mapId], () => void loadPlan())

  // ── target-phenotype search ────────────────────────────────────────────────────────
  const signatureMode = ref<SignatureMode>('lists')
  const signatureUp = ref('')
  const signatureDown = ref('')
  const signatureText = ref('')
  /** candidates: the genes of the map shown, or every gene the run saw in training */
  const searchCandidates = ref<'map' | 'seen'>('seen')
  const searchPairs = ref(true)
  const rankBy = ref<'cosine' | 'pearson'>('cosine')
  const searchTop = ref(50)
  const searchJob = storeJob()
  const searching = ref(false)
  const searchError = ref<string | null>(null)
  const searchConfirmAsk = ref<string | null>(null)
  const searchResult = ref<SearchResult | null>(null)

  const signature = computed<{ up: string[]; down: string[] } | { text: string }>(() =>
    signatureMode.value === 'lists' ? { up: splitGenes(signatureUp.value), down: splitGenes(signatureDown.value) } : { text: signatureText.value },
  )
  const signatureEmpty = computed(() => {
    const s = signature.value
    return 'text' in s ? !s.text.trim() : !s.up.length && !s.down.length
  })

  async function search(confirm = false) {
    const id = runId.value
    if (id === null || signatureEmpty.value || searching.value) return
    searchError.value = null
    searchConfirmAsk.value = null
    searching.value = true
    const jobId = searchJob.begin()
    try {
      const candidates = searchCandidates.value === 'map' && map.value ? { genes: map.value.geneList.map((g) => g.gene) } : {}
      const r = await api.call('design:search', { runId: id, signature: signature.value, ...candidates, pairs: searchPairs.value, rankBy: rankBy.value, top: searchTop.value, confirm, jobId })
      if (runId.value === id) searchResult.value = r
    } catch (err) {
      if (runId.value !== id) return
      if (err instanceof AppError && err.code === 'design.confirm-needed') searchConfirmAsk.value = confirmText(err.message)
      else if (err instanceof AppError && err.code === 'job.cancelled') searchError.value = 'The search was cancelled.'
      else searchError.value = errorMessage(err)
    } finally {
      searching.value = false
      searchJob.end()
    }
  }

  // ── selection ──────────────────────────────────────────────────────────────────────
  function setRun(id: number | null) {
    if (runId.value === id) return
    runId.value = id
    genes.value = null
    genesError.value = null
    pathway.value = null
    pathwayError.value = null
    map.value = null
    maps.value = []
    mapsError.value = null
    mapError.value = null
    confirmAsk.value = null
    selected.value = null
    shortlist.value = []
    searchResult.value = null
    searchError.value = null
    searchConfirmAsk.value = null
    if (id !== null) {
      void loadGenes(id)
      void loadMaps(id)
    }
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
      geneText.value = ''
      error.value = null
      void refreshRuns()
    },
  )

  return {
    runs,
    loaded,
    modelRuns,
    run,
    runId,
    error,
    genes,
    genesError,
    canPair,
    geneText,
    pathway,
    pathwayError,
    fromPathway,
    scope,
    uncertaintyMode,
    maxUncertainty,
    tokens,
    check,
    ready,
    estimate,
    estimateError,
    estimating,
    job,
    mapping,
    mapError,
    confirmAsk,
    map,
    maps,
    mapsError,
    score,
    order,
    selected,
    selectedPair,
    shortlist,
    plan,
    planError,
    planLoading,
    signatureMode,
    signatureUp,
    signatureDown,
    signatureText,
    searchCandidates,
    searchPairs,
    rankBy,
    searchTop,
    searchJob,
    searching,
    searchError,
    searchConfirmAsk,
    searchResult,
    signatureEmpty,
    maxGenes: GI_DEFAULTS.maxGenes,
    refreshRuns,
    setRun,
    removeDuplicates,
    addGene,
    pickPathway,
    runMap,
    loadMaps,
    openMap,
    deleteMap,
    inShortlist,
    addToShortlist,
    removeFromShortlist,
    loadPlan,
    search,
  }
})
