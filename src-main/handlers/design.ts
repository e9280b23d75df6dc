import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'
import { guidePlanFile, heatmapFile, mapTableFile } from '../services/design/design-files'

export function designHandlers({ services }: CoreDeps): HandlersFor<'design'> {
  const { design, jobs, exports } = services
  return {
    'design:estimate': (input) => design.estimate(input),
    'design:map': ({ jobId, ...input }) => jobs.run('gi-map', jobId, (job) => design.map(input, job)),
    'design:maps': ({ runId }) => design.maps(runId),
    'design:get': ({ mapId }) => design.get(mapId),
    'design:delete': ({ mapId }) => design.delete(mapId),
    'design:observed': ({ datasetId, ...settings }) => design.observed(datasetId, settings),
    'design:search': ({ jobId, ...input }) => jobs.run('search', jobId, (job) => design.search(input, job)),
    'design:plan': (input) => design.plan(input),
    'design:export-plan': async ({ fileName, format, ...input }) => {
      const plan = await design.plan(input)
      const file = await guidePlanFile(plan, format)
      return exports.save({ ...file, fileName: fileName ?? file.fileName, projectId: plan.source.projectId, runId: plan.runId })
    },
    'design:export-map': async ({ mapId, format, fileName }) => {
      const map = design.get(mapId)
      const file = await mapTableFile(map, format)
      return exports.save({ ...file, fileName: fileName ?? file.fileName, projectId: map.source.projectId, runId: map.runId })
    },
    'design:export-heatmap': async ({ mapId, score, order, format, fileName }) => {
      const map = design.get(mapId)
      const file = await heatmapFile(map, score, order, format)
      return exports.save({ kind: file.kind, format, fileName: fileName ?? file.fileName, bytes: file.bytes, projectId: map.source.projectId, runId: map.runId })
    },
  }
}
