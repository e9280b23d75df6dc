import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { useModelRun } from '../projects/use-model-run'

/**
 * Design: which of the open project's finished model runs the screen designs with, and the genes
 * that run can perturb. Each part of the screen keeps its own store and resets itself when the
 * run changes: the gene set and estimate (`use-gene-set-store`), the pair map shown
 * (`use-map-store`), the stored maps (`use-map-history-store`), the guide plan
 * (`use-plan-store`) and the target search (`use-search-store`).
 */
export const useDesignStore = defineStore('design', () => {
  /** Set when the open project changes (the gene set store clears its text on it). */
  const projectSeq = ref(0)
  // The other design stores watch `runId` and start over when the run changes.
  const modelRun = useModelRun({ onProjectChanged: () => projectSeq.value++ })

  /** The run was trained on a dataset with measured pairs (else it cannot predict two genes at once). */
  const canPair = computed(() => (modelRun.genes.value ? modelRun.genes.value.maxSetSize >= 2 : true))

  return { ...modelRun, canPair, projectSeq }
})
