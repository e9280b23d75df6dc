import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { Project, ProjectDetail } from '../../../src-shared/contract'
import { api } from '../../api/client'
import { useAction } from '../../composables/use-action'

const OPEN_KEY = 'perturb-studio.open-project'

/** Projects list, the open project (remembered across reloads) and the actions on them. */
export const useProjectsStore = defineStore('projects', () => {
  const projects = ref<Project[]>([])
  const openId = ref<number | null>(Number(localStorage.getItem(OPEN_KEY)) || null)
  const detail = ref<ProjectDetail | null>(null)
  const { busy: loading, error, quietly: guard } = useAction()

  const openProject = computed(() => projects.value.find((p) => p.id === openId.value) ?? null)

  async function refresh() {
    loading.value = true
    await guard(async () => {
      projects.value = await api.call('project:list', {})
      if (openId.value !== null && !projects.value.some((p) => p.id === openId.value)) setOpen(null)
      detail.value = openId.value !== null ? await api.call('project:get', { id: openId.value }) : null
    })
    loading.value = false
  }

  // Runs change state in the worker (queued → running → completed) without any click here: follow
  // them, so the Projects page never shows a finished run as queued. Many events arrive while a
  // run trains (one per epoch): one refresh per burst.
  let runTimer: ReturnType<typeof setTimeout> | undefined
  api.on('run:changed', () => {
    clearTimeout(runTimer)
    runTimer = setTimeout(() => void refresh(), 200)
  })

  function setOpen(id: number | null) {
    openId.value = id
    if (id === null) localStorage.removeItem(OPEN_KEY)
    else localStorage.setItem(OPEN_KEY, String(id))
  }

  async function open(id: number) {
    setOpen(id)
    await guard(async () => (detail.value = await api.call('project:get', { id })))
  }

  async function create(name: string): Promise<boolean> {
    const p = await guard(() => api.call('project:create', { name }))
    if (!p) return false
    await refresh()
    await open(p.id)
    return true
  }

  async function rename(id: number, name: string): Promise<boolean> {
    const p = await guard(() => api.call('project:rename', { id, name }))
    if (p) await refresh()
    return Boolean(p)
  }

  async function remove(id: number): Promise<boolean> {
    const r = await guard(() => api.call('project:delete', { id }))
    if (r) {
      if (openId.value === id) setOpen(null)
      await refresh()
    }
    return Boolean(r)
  }

  api.on('project:changed', () => void refresh())

  return { projects, openId, openProject, detail, loading, error, refresh, open, create, rename, remove }
})
