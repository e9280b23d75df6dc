import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { Project, ProjectDetail } from '../../../src-shared/contract'
import { api, errorMessage } from '../../api/client'

const OPEN_KEY = 'perturb-studio.open-project'

/** Projects list, the open project (remembered across reloads) and the actions on them. */
export const useProjectsStore = defineStore('projects', () => {
  const projects = ref<Project[]>([])
  const openId = ref<number | null>(Number(localStorage.getItem(OPEN_KEY)) || null)
  const detail = ref<ProjectDetail | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)

  const openProject = computed(() => projects.value.find((p) => p.id === openId.value) ?? null)

  async function guard<T>(work: () => Promise<T>): Promise<T | undefined> {
    error.value = null
    try {
      return await work()
    } catch (err) {
      error.value = errorMessage(err)
      return undefined
    }
  }

  async function refresh() {
    loading.value = true
    await guard(async () => {
      projects.value = await api.call('project:list', {})
      if (openId.value !== null && !projects.value.some((p) => p.id === openId.value)) setOpen(null)
      detail.value = openId.value !== null ? await api.call('project:get', { id: openId.value }) : null
    })
    loading.value = false
  }

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
