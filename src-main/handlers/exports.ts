import { AppError } from '../../src-shared/contract'
import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'

const unavailable = () => {
  throw new AppError('export.unavailable', 'Exports are not available in this build yet.')
}

export function exportHandlers(_deps: CoreDeps): HandlersFor<'export'> {
  return {
    'export:save': unavailable,
    'export:list': unavailable,
  }
}
