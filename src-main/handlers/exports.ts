import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'

export function exportHandlers({ services }: CoreDeps): HandlersFor<'export'> {
  const { exports } = services
  return {
    'export:save': (input) => exports.saveContent(input),
    'export:list': (filter) => exports.list(filter),
  }
}
