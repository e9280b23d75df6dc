import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type {
  GeneView,
  KnowledgeStatus,
  MaskLevelInput,
  MaskResult,
  PathwayDetail,
  PathwayGraph,
  PathwayNode,
  ProjectKnowledge,
} from '../../../src-shared/contract/channels/knowledge'
import { api } from '../../api/client'
import { latest, useAction } from '../../composables/use-action'
import { useDatasetsStore } from '../datasets/use-datasets-store'
import { useProjectsStore } from '../projects/use-projects-store'

export type PathwaySelection = { kind: 'pathway'; id: string } | { kind: 'gene'; symbol: string }

/**
 * The pathway browser: knowledge status, the project's release, the hierarchy (children loaded
 * lazily), the selected pathway or gene with its details, the neighbourhood graph and the
 * attention-mask preview for the selected dataset.
 */
export const usePathwaysStore = defineStore('pathways', () => {
  const projects = useProjectsStore()
  const datasets = useDatasetsStore()

  const status = ref<KnowledgeStatus | null>(null)
  const projectKnowledge = ref<ProjectKnowledge | null>(null)
  const { error, quietly: guard } = useAction()

  const roots = ref<PathwayNode[]>([])
  // Plain objects replaced on write so the tree re-renders without deep reactivity over 2,800 nodes.
  const children = shallowRef<Record<string, PathwayNode[]>>({})
  const expanded = shallowRef<Set<string>>(new Set())

  const selection = ref<PathwaySelection | null>(null)
  const pathway = ref<PathwayDetail | null>(null)
  const gene = ref<GeneView | null>(null)
  const loadingDetail = ref(false)
  const history = ref<PathwaySelection[]>([])

  const graph = ref<PathwayGraph | null>(null)
  const graphMaxGenes = ref(40)
  const graphLoading = ref(false)

  const mask = ref<MaskResult | null>(null)
  const maskLevel = ref<MaskLevelInput>({ kind: 'l1' })
  const { busy: maskLoading, error: maskError, run: runMask } = useAction()

  const ready = computed(() => status.value?.ready === true)
  /** The release queries use: the project's choice, else the default. */
  const release = computed(() => projectKnowledge.value?.effective ?? status.value?.defaultRelease ?? null)
  const releaseInfo = computed(() => status.value?.releases.find((r) => r.release === release.value) ?? null)
  const withRelease = () => (release.value ? { release: release.value } : {})

  /** Genes the selected dataset perturbed (singly or in a combination), as the dataset names them. */
  const perturbedGenes = computed(() => {
    const set = new Set<string>()
    for (const row of datasets.selected?.conditionTable ?? []) if (row.kind !== 'control') for (const g of row.genes) set.add(g)
    return set
  })

  /** Status first (never builds); the tree only once a release exists. */
  async function load() {
    await guard(async () => {
      status.value = await api.call('knowledge:status', {})
      projectKnowledge.value = projects.openId !== null && status.value.ready ? await api.call('knowledge:project-release', { projectId: projects.openId }) : null
    })
    if (!ready.value) return
    await loadRoots()
    if (selection.value) await open(selection.value, false)
  }

  async function loadRoots() {
    await guard(async () => {
      roots.value = await api.call('knowledge:roots', withRelease())
      children.value = {}
    })
  }

  async function loadChildren(id: string) {
    if (children.value[id]) return
    await guard(async () => {
      const list = await api.call('knowledge:children', { ...withRelease(), id })
      children.value = { ...children.value, [id]: list }
    })
  }

  async function toggle(id: string) {
    const next = new Set(expanded.value)
    if (next.has(id)) next.delete(id)
    else {
      await loadChildren(id)
      next.add(id)
    }
    expanded.value = next
  }

  /** Opens every branch leading to a pathway (a pathway can sit under several parents). */
  async function reveal(detail: PathwayDetail) {
    const ids = detail.ancestors
    await Promise.all(ids.map((id) => loadChildren(id)))
    expanded.value = new Set([...expanded.value, ...ids])
  }

  const newestOpen = latest()
  async function open(target: PathwaySelection, remember = true) {
    if (remember && selection.value && !sameSelection(selection.value, target)) history.value = [...history.value.slice(-19), selection.value]
    selection.value = target
    // Quick clicks: only the last request's answer is shown.
    const mine = newestOpen()
    loadingDetail.value = true
    await guard(async () => {
      if (target.kind === 'pathway') {
        const detail = await api.call('knowledge:pathway', { ...withRelease(), id: target.id })
        if (!mine()) return
        pathway.value = detail
        gene.value = null
        void reveal(detail)
        void loadGraph()
      } else {
        const view = await api.call('knowledge:gene', { ...withRelease(), gene: target.symbol })
        if (!mine()) return
        gene.value = view
        pathway.value = null
        graph.value = null
      }
    })
    if (mine()) loadingDetail.value = false
  }

  async function back() {
    const prev = history.value.at(-1)
    if (!prev) return
    history.value = history.value.slice(0, -1)
    await open(prev, false)
  }

  async function loadGraph() {
    if (!pathway.value) return
    const id = pathway.value.id
    graphLoading.value = true
    await guard(async () => {
      const g = await api.call('knowledge:neighbourhood', { ...withRelease(), id, maxGenes: graphMaxGenes.value })
      if (pathway.value?.id === id) graph.value = g
    })
    graphLoading.value = false
  }

  async function loadMask(genes: string[]) {
    mask.value = null
    maskError.value = null
    if (!genes.length || !ready.value) return
    const m = await runMask(() => api.call('knowledge:mask', { ...withRelease(), genes, level: maskLevel.value }))
    if (m) mask.value = m
  }

  async function setProjectRelease(releaseLabel: string | null) {
    if (projects.openId === null) return
    const projectId = projects.openId
    await guard(async () => {
      projectKnowledge.value = await api.call('knowledge:set-project-release', { projectId, release: releaseLabel })
    })
    await loadRoots()
    if (selection.value) await open(selection.value, false)
  }

  watch(graphMaxGenes, () => void loadGraph())
  watch(() => projects.openId, () => void load())

  return {
    status,
    projectKnowledge,
    error,
    ready,
    release,
    releaseInfo,
    roots,
    children,
    expanded,
    selection,
    pathway,
    gene,
    loadingDetail,
    history,
    graph,
    graphMaxGenes,
    graphLoading,
    mask,
    maskLevel,
    maskLoading,
    maskError,
    perturbedGenes,
    load,
    toggle,
    open,
    back,
    loadMask,
    setProjectRelease,
  }
})

function sameSelection(a: PathwaySelection, b: PathwaySelection): boolean {
  return a.kind === b.kind && (a.kind === 'pathway' ? a.id === (b as { id: string }).id : a.symbol === (b as { symbol: string }).symbol)
}
