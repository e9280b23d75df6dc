import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { ModelPrior, PerturbableGene, PredictionListItem, PredictResult, RunVerdict } from '../../../src-shared/contract'
import { parseGeneList } from '../../../src-shared/domain/gene-list'
import { api, errorMessage } from '../../api/client'
import { useModelRun } from '../projects/use-model-run'

/** A chosen gene: the run's entry for it, or `null` when this run cannot perturb it (the core names the closest symbols). */
export interface ChosenGene {
  gene: string
  info: PerturbableGene | null
}

/** One side of the screen: a run and the prediction it made for the current gene set. */
export interface RunPrediction {
  result: PredictResult
  /** stored in the run's history (re-opened) rather than computed now */
  reopened: boolean
}

/**
 * Predict: the open project's finished runs, the run predicting (and an optional second one to
 * compare), the gene set, the predictions of both runs for it and the first run's history.
 */
export const usePredictStore = defineStore('predict', () => {
  const compareRunId = ref<number | null>(null)
  const modelRun = useModelRun({
    includeBaselines: true,
    onRunChosen: resetForRun,
    // A compared run that is gone, or no longer fits the chosen run, is dropped.
    onReloaded: () => {
      if (compareRunId.value !== null && !compareCandidates.value.some((r) => r.id === compareRunId.value)) compareRunId.value = null
    },
    onProjectChanged: () => {
      compareRunId.value = null
      chosenSymbols.value = []
    },
  })
  const { runs, runId, error, genes, geneIndex, run } = modelRun

  /**
   * What a run can be compared with on a condition: finished model runs of the same dataset (the
   * same genes and conditions), and the baselines fitted beside it (its dataset and split).
   */
  const compareCandidates = computed(() => {
    const r = run.value
    if (!r) return []
    return runs.value.filter(
      (x) =>
        x.id !== r.id &&
        x.status === 'completed' &&
        x.datasetId === r.datasetId &&
        (x.kind === 'model' || (x.split.kind === r.split.kind && x.split.seed === r.split.seed)),
    )
  })

  // ── the run's verdict ──────────────────────────────────────────────────────────────
  /** How the run did against the knowledge prior per test group (its run:get), and its formulation; null until loaded or when it failed to load. */
  const runInfo = ref<{ runId: number; verdict: RunVerdict | null; prior: ModelPrior | undefined } | null>(null)

  async function loadRunInfo(id: number) {
    try {
      const d = await api.call('run:get', { id })
      if (runId.value === id) runInfo.value = { runId: id, verdict: d.verdict ?? null, prior: d.config.prior }
    } catch {
      // The prediction shows without the verdict line.
    }
  }

  // ── the gene set ───────────────────────────────────────────────────────────────────
  const chosenSymbols = ref<string[]>([])
  const chosen = computed<ChosenGene[]>(() => chosenSymbols.value.map((gene) => ({ gene, info: geneIndex.value.get(gene.toUpperCase()) ?? null })))
  const unknown = computed(() => (genes.value ? chosen.value.filter((c) => !c.info).map((c) => c.gene) : []))
  const tooMany = computed(() => (genes.value ? chosenSymbols.value.length > genes.value.maxSetSize : false))

  /** Adds symbols (as typed, or the run's spelling when it knows them); `A+B`, `A, B` and `A B` add both. */
  function addGenes(text: string) {
    for (const t of parseGeneList(text)) {
      const symbol = geneIndex.value.get(t.toUpperCase())?.gene ?? t
      if (!chosenSymbols.value.some((g) => g.toUpperCase() === symbol.toUpperCase())) chosenSymbols.value = [...chosenSymbols.value, symbol]
    }
  }

  function removeGene(symbol: string) {
    chosenSymbols.value = chosenSymbols.value.filter((g) => g !== symbol)
  }

  // ── predictions ────────────────────────────────────────────────────────────────────
  const primary = ref<RunPrediction | null>(null)
  const secondary = ref<RunPrediction | null>(null)
  const secondaryError = ref<string | null>(null)
  const predicting = ref(false)
  let seq = 0

  const condition = computed(() => primary.value?.result.conditions[0] ?? null)
  /** The figure: GEARS' DE view when the condition was measured, else the top predicted changes. */
  const view = ref<'de' | 'top'>('top')
  watch(condition, (c, old) => {
    if (c?.condition !== old?.condition || !c?.measured) view.value = c?.measured ? 'de' : 'top'
  })

  /** The second run's prediction of the same gene set: from its history when it has one, else computed (and stored). */
  async function predictSecondary(genesOfSet: string[], mine: number) {
    const id = compareRunId.value
    secondaryError.value = null
    if (id === null || !genesOfSet.length) {
      secondary.value = null
      return
    }
    try {
      const canonical = primary.value?.result.conditions[0]?.condition
      const stored = canonical ? (await api.call('prediction:list', { runId: id })).find((p) => p.condition === canonical) : undefined
      const result = stored ? await api.call('prediction:get', { id: stored.id }) : await api.call('predict:run', { runId: id, conditions: [genesOfSet] })
      if (mine === seq) secondary.value = { result, reopened: Boolean(stored) }
    } catch (err) {
      if (mine === seq) {
        secondary.value = null
        secondaryError.value = errorMessage(err)
      }
    }
  }

  async function predict() {
    const id = runId.value
    if (id === null) return
    const mine = ++seq
    error.value = null
    if (!chosenSymbols.value.length) {
      error.value = 'Choose at least one gene to perturb.'
      return
    }
    predicting.value = true
    try {
      const set = [...chosenSymbols.value]
      const result = await api.call('predict:run', { runId: id, conditions: [set] })
      if (mine !== seq) return
      primary.value = { result, reopened: false }
      await predictSecondary(set, mine)
      void loadHistory(id)
    } catch (err) {
      if (mine === seq) {
        primary.value = null
        secondary.value = null
        error.value = errorMessage(err)
      }
    } finally {
      if (mine === seq) predicting.value = false
    }
  }

  // ── history ────────────────────────────────────────────────────────────────────────
  const history = ref<PredictionListItem[]>([])
  const historyError = ref<string | null>(null)

  async function loadHistory(id: number) {
    try {
      const list = await api.call('prediction:list', { runId: id })
      if (runId.value !== id) return
      history.value = list
      historyError.value = null
    } catch (err) {
      if (runId.value === id) historyError.value = errorMessage(err)
    }
  }

  /** Shows a stored prediction as it was made: the same figure, nothing recomputed. */
  async function reopen(predictionId: number) {
    const mine = ++seq
    error.value = null
    predicting.value = true
    try {
      const result = await api.call('prediction:get', { id: predictionId })
      if (mine !== seq) return
      primary.value = { result, reopened: true }
      const flags = result.conditions[0]?.flags ?? []
      chosenSymbols.value = flags.map((f) => f.gene)
      await predictSecondary(chosenSymbols.value, mine)
    } catch (err) {
      if (mine === seq) error.value = errorMessage(err)
    } finally {
      if (mine === seq) predicting.value = false
    }
  }

  async function removePrediction(predictionId: number) {
    try {
      await api.call('prediction:delete', { id: predictionId })
      if (primary.value?.result.conditions[0]?.predictionId === predictionId) primary.value = { ...primary.value, result: { ...primary.value.result, conditions: primary.value.result.conditions.map((c) => ({ ...c, predictionId: null })) } }
      if (runId.value !== null) await loadHistory(runId.value)
    } catch (err) {
      historyError.value = errorMessage(err)
    }
  }

  // ── selection ──────────────────────────────────────────────────────────────────────
  /** What belonged to the previous run goes; the new run's verdict and history load. */
  function resetForRun(id: number | null) {
    seq++
    predicting.value = false
    runInfo.value = null
    primary.value = null
    secondary.value = null
    secondaryError.value = null
    history.value = []
    historyError.value = null
    if (compareRunId.value === id) compareRunId.value = null
    if (id !== null) {
      void loadRunInfo(id)
      void loadHistory(id)
    }
  }

  async function setCompareRun(id: number | null) {
    compareRunId.value = id
    const mine = ++seq
    if (primary.value) await predictSecondary(chosenSymbols.value, mine)
    else secondary.value = null
  }

  return {
    ...modelRun,
    compareRunId,
    compareCandidates,
    runInfo,
    chosenSymbols,
    chosen,
    unknown,
    tooMany,
    primary,
    secondary,
    secondaryError,
    condition,
    view,
    predicting,
    history,
    historyError,
    setCompareRun,
    addGenes,
    removeGene,
    predict,
    reopen,
    removePrediction,
    loadHistory,
  }
})
