import { AppError } from '../../src-shared/contract'
import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'

const unavailable = () => {
  throw new AppError('design.unavailable', 'Experiment design is not available in this build yet.')
}

export function designHandlers(_deps: CoreDeps): HandlersFor<'design'> {
  return {
    'design:estimate': unavailable,
    'design:map': unavailable,
    'design:maps': unavailable,
    'design:get': unavailable,
    'design:delete': unavailable,
    'design:observed': unavailable,
    'design:search': unavailable,
    'design:plan': unavailable,
    'design:export-plan': unavailable,
    'design:export-heatmap': unavailable,
  }
}
