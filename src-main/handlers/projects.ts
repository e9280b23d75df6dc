import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'

export function projectHandlers({ services, events }: CoreDeps): HandlersFor<'project'> {
  const { projects, datasets } = services
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
      projects.require(id)
      // Not while a run trains in it, in this process or another (its rows would vanish under it).
      services.training.assertNoActiveRuns({ projectId: id })
      // Rows go in one cascading delete; the files of what it cascades to (datasets' arrays and
      // uploads, pair maps, exports kept under the data folder) are removed after it.
      const removers = [datasets.projectFilesRemover(id), services.design.mapFilesRemover({ projectId: id }), services.exports.projectFilesRemover(id)]
      const r = projects.delete(id)
      for (const remove of removers) remove()
      events.emit('project:changed', { projectId: null })
      return r
    },
  }
}
