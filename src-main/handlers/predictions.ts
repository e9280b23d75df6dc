import { AppError } from '../../src-shared/contract'
import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'

const unavailable = () => {
  throw new AppError('predict.unavailable', 'Prediction is not available in this build yet.')
}

export function predictionHandlers(_deps: CoreDeps): HandlersFor<'predict'> & HandlersFor<'prediction'> {
  return {
    'predict:run': unavailable,
    'predict:genes': unavailable,
    'prediction:list': unavailable,
    'prediction:get': unavailable,
    'prediction:delete': unavailable,
    'prediction:export': unavailable,
  }
}
