import { AppError } from '../../src-shared/contract'
import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'

const notYet = (): never => {
  throw new AppError('train.unavailable', 'Training is not available in this build yet.')
}

export function trainingHandlers(_deps: CoreDeps): HandlersFor<'train'> & HandlersFor<'run'> & HandlersFor<'backend'> {
  return {
    'train:start': notYet,
    'train:cancel': notYet,
    'train:resume': notYet,
    'train:estimate': notYet,
    'run:list': notYet,
    'run:get': notYet,
    'run:compare': notYet,
    'run:delete': notYet,
    'backend:list': notYet,
  }
}
