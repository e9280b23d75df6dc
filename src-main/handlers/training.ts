import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'

export function trainingHandlers({ services }: CoreDeps): HandlersFor<'train'> & HandlersFor<'run'> & HandlersFor<'backend'> {
  const { training } = services
  return {
    'train:start': (setup) => training.start(setup),
    'train:cancel': ({ runId }) => training.cancel(runId),
    'train:resume': ({ runId }) => training.resume(runId),
    'train:estimate': (setup) => training.estimate(setup),
    'run:list': (filter) => training.list(filter),
    'run:get': ({ id }) => training.get(id),
    'run:compare': ({ ids, withBaselines }) => training.compare(ids, withBaselines),
    'run:delete': ({ id }) => {
      // The run's pair maps go with its rows (ON DELETE CASCADE); their files after them.
      const removeMaps = services.design.mapFilesRemover({ runId: id })
      const r = training.delete(id)
      removeMaps()
      return r
    },
    'backend:list': () => training.backends(),
  }
}
