import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'

export function projectHandlers({ services, events }: CoreDeps): HandlersFor<'project'> {
  const { projects } = services
  return {
    'project:list': () => projects.list(),
    'project:get': ({ id }) => projects.get(id),
    'project:create': ({ name }) => {
      const p = projects.create(name)
      events.emit('project:changed', { projectId: p.id })
      return p
    },
    'project:rename': ({ id, name }) => {
      const p = projects.rename(id, name)
      events.emit('project:changed', { projectId: p.id })
      return p
    },
    'project:delete': ({ id }) => {
      const r = projects.delete(id)
      events.emit('project:changed', { projectId: null })
      return r
    },
  }
}
