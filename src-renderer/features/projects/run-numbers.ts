import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import { baselineOwners, numberRuns } from '../../../src-shared/domain/run-numbers'
import { api } from '../../api/client'
import { useProjectsStore } from './use-projects-store'

/** The open project's run numbers for every screen (Predict and Design name runs too), kept live. */
export const useRunNumbersStore = defineStore('run-numbers', () => {
  const projects = useProjectsStore()
  const numbers = ref(new Map<number, number>())
  const owners = ref(new Map<number, number>())

  async function refresh() {
    const projectId = projects.openId
    if (projectId === null) {
      numbers.value = new Map()
      owners.value = new Map()
      return
    }
    try {
      const runs = await api.call('run:list', { projectId, includeBaselines: true })
      if (projects.openId !== projectId) return
      numbers.value = numberRuns(runs)
      owners.value = baselineOwners(runs)
    } catch {
      // Labels fall back to run ids.
    }
  }

  let timer: ReturnType<typeof setTimeout> | undefined
  api.on('run:changed', (e) => {
    if (e.projectId !== projects.openId || (e.status !== 'queued' && e.status !== 'deleted')) return
    clearTimeout(timer)
    timer = setTimeout(() => void refresh(), 150)
  })
  watch(() => projects.openId, () => void refresh(), { immediate: true })

  /** "Run 3" for a model run, "baseline of Run 3" for a baseline fitted with it; null when unknown. */
  function label(id: number): string | null {
    const n = numbers.value.get(id)
    if (n !== undefined) return `Run ${n}`
    const owner = owners.value.get(id)
    const m = owner === undefined ? undefined : numbers.value.get(owner)
    return m === undefined ? null : `baseline of Run ${m}`
  }

  return { numbers, owners, refresh, label }
})
