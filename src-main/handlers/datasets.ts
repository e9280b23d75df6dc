import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'

export function datasetHandlers({ services, events }: CoreDeps): HandlersFor<'dataset'> {
  const { datasets, jobs } = services
  const changed = (projectId: number) => events.emit('project:changed', { projectId })
  return {
    'dataset:preview': (input) => datasets.preview(input),
    'dataset:import': async ({ jobId, ...input }) => {
      const summary = await jobs.run('import', jobId, (job) => datasets.import(input, job))
      changed(summary.projectId)
      return summary
    },
    'dataset:create-demo': async ({ projectId, preset, seed, jobId }) => {
      // The demo is generated from the knowledge files; build the knowledge base from them too,
      // so the demo project can predict unseen genes. Missing files are reported by createDemo.
      await services.knowledge.ensure().catch(() => undefined)
      const summary = await jobs.run('demo', jobId, (job) => datasets.createDemo(projectId, preset, seed, job))
      changed(summary.projectId)
      return summary
    },
    'dataset:list': ({ projectId }) => datasets.list(projectId),
    'dataset:get': ({ id }) => datasets.get(id),
    'dataset:genes': ({ id }) => datasets.genes(id),
    'dataset:de': ({ id, condition, top }) => datasets.de(id, condition, top),
    'dataset:de-table': ({ id, condition }) => datasets.deTable(id, condition),
    'dataset:de-heatmap': ({ id, ...options }) => datasets.deHeatmap(id, options),
    'dataset:delete': ({ id }) => {
      const { projectId } = datasets.require(id).summary
      // Not while a run trains on it, in this process or another (its rows would vanish under it).
      services.training.assertNoActiveRuns({ datasetId: id })
      const removeMaps = services.design.mapFilesRemover({ datasetId: id })
      const r = datasets.delete(id)
      services.cells.forget(id)
      removeMaps()
      changed(projectId)
      return r
    },
  }
}

export function jobHandlers({ services }: CoreDeps): HandlersFor<'job'> {
  return {
    'job:cancel': ({ jobId }) => ({ cancelled: services.jobs.cancel(jobId) }),
  }
}
