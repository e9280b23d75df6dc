import { AppError } from '../../src-shared/contract'
import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'
import { predictionFigureFile, predictionJsonFile, predictionTableFile } from '../services/predictions/prediction-files'

export function predictionHandlers({ services }: CoreDeps): HandlersFor<'predict'> & HandlersFor<'prediction'> {
  const { predictions, exports } = services
  return {
    'predict:run': (input) => predictions.run(input),
    'predict:genes': ({ runId }) => predictions.genes(runId),
    'prediction:list': ({ runId, limit }) => predictions.list(runId, limit),
    'prediction:get': ({ id }) => predictions.get(id),
    'prediction:delete': ({ id }) => predictions.delete(id),
    'prediction:export': async ({ id, format, view, fileName }) => {
      const result = predictions.get(id)
      const c = result.conditions[0]
      if ((format === 'png' || format === 'svg') && view === 'de' && !c.measured) {
        throw new AppError('prediction.not-measured', `${c.condition} was not measured, so it has no observed DE genes to plot; export the top-changes view instead.`)
      }
      const file = format === 'csv' || format === 'xlsx' ? await predictionTableFile(result, format) : format === 'json' ? predictionJsonFile(result) : await predictionFigureFile(result, c, format, view)
      return exports.save({ kind: file.kind, format, fileName: fileName ?? file.fileName, bytes: file.bytes, projectId: result.projectId, runId: result.runId, provenance: file.provenance })
    },
  }
}
