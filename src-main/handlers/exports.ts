import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'
import { APP_VERSION } from '../runtime/version'

export function exportHandlers({ services }: CoreDeps): HandlersFor<'export'> {
  const { exports } = services
  return {
    'export:save': (input) => exports.saveContent(input),
    'export:table': (input) => exports.saveTable(input, APP_VERSION),
    'export:list': (filter) => exports.list(filter),
  }
}
