import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { MapEstimate, MapScope, PerturbableGene } from '../../../src-shared/contract'
import { GI_DEFAULTS } from '../../../src-shared/domain/gi-thresholds'
import { api, errorMessage } from '../../api/client'
import { splitGenes } from './gene-text'
import { useDesignStore } from './use-design-store'

/** The genes picked from a Reactome pathway: kept as the map's origin while the text still lists exactly them. */
export interface PathwayPick {
  id: string
  name: string
  /** the pathway's genes (with its sub-pathways') this run can perturb, in the pathway's order */
  genes: string[]
  /** all genes of the pathway and its sub-pathways */
  total: number
}

interface SetCheck {
  /** each distinct gene, with the run's entry (null: the run cannot perturb it as typed) */
  genes: { gene: string; info: PerturbableGene | null }[]
  duplicates: string[]
  unknown: string[]
  pairs: number
}

/**
 * The gene set of a pair map (typed, pasted or from a Reactome pathway), which pairs of it to
 * predict, and the core's estimate of what the map will cost, refreshed as the set changes.
 */
export const useGeneSetStore = defineStore('design-gene-set', () => {
  const design = useDesignStore()

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
      list.push({ gene: t, info: design.geneIndex.get(key) ?? null })
    }
    const n = list.length
    return { genes: list, duplicates: [...dup], unknown: design.genes ? list.filter((g) => !g.info).map((g) => g.gene) : [], pairs: (n * (n - 1)) / 2 }
  })

  function removeDuplicates() {
    const seen = new Set<string>()
    geneText.value = tokens.value.filter((t) => (seen.has(t.toUpperCase()) ? false : (seen.add(t.toUpperCase()), true))).join(', ')
  }

  function addGene(symbol: string) {
    const g = design.geneIndex.get(symbol.toUpperCase())?.gene ?? symbol
    if (tokens.value.some((t) => t.toUpperCase() === g.toUpperCase())) return
    geneText.value = [...tokens.value, g].join(', ')
  }

  /** Puts a pathway's genes (those this run can perturb) in the gene set. */
  async function pickPathway(id: string) {
    pathwayError.value = null
    const release = design.genes?.knowledgeRelease
    if (!release) {
      pathwayError.value = 'This run was trained without a knowledge release, so there are no pathways to pick genes from; type the genes instead.'
      return
    }
    try {
      const p = await api.call('knowledge:pathway', { release, id })
      const index = design.geneIndex
      const own = p.allGenes.filter((g) => index.has(g.toUpperCase())).map((g) => index.get(g.toUpperCase())!.gene)
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

  /** What the core is sent: the pathway while the text lists exactly its genes, else the genes. */
  function geneSource(): { genes: string[] } | { pathwayId: string } {
    return fromPathway.value && pathway.value ? { pathwayId: pathway.value.id } : { genes: tokens.value }
  }

  // ── the estimate (before running) ──────────────────────────────────────────────────
  const estimate = ref<MapEstimate | null>(null)
  const estimateError = ref<string | null>(null)
  const estimating = ref(false)
  let estimateSeq = 0
  let estimateTimer: ReturnType<typeof setTimeout> | undefined

  const ready = computed(() => design.runId !== null && design.canPair && check.value.genes.length >= 2 && !check.value.duplicates.length)

  watch([() => design.runId, () => tokens.value.join(','), scope, fromPathway], () => {
    clearTimeout(estimateTimer)
    const mine = ++estimateSeq
    estimate.value = null
    estimateError.value = null
    estimating.value = false
    if (!ready.value) return
    estimateTimer = setTimeout(async () => {
      estimating.value = true
      try {
        const e = await api.call('design:estimate', { runId: design.runId!, ...geneSource(), scope: scope.value })
        if (mine === estimateSeq) estimate.value = e
      } catch (err) {
        if (mine === estimateSeq) estimateError.value = errorMessage(err)
      } finally {
        if (mine === estimateSeq) estimating.value = false
      }
    }, 400)
  })

  // A pathway belongs to the run it was picked with; the text stays (the genes may suit the next run too).
  watch(
    () => design.runId,
    () => {
      pathway.value = null
      pathwayError.value = null
    },
  )
  watch(
    () => design.projectSeq,
    () => (geneText.value = ''),
  )

  return {
    geneText,
    pathway,
    pathwayError,
    scope,
    uncertaintyMode,
    maxUncertainty,
    tokens,
    fromPathway,
    check,
    ready,
    estimate,
    estimateError,
    estimating,
    maxGenes: GI_DEFAULTS.maxGenes,
    removeDuplicates,
    addGene,
    pickPathway,
    geneSource,
  }
})
