import { LATEST_SCHEMA_VERSION } from '../db/database'
import type { CoreDeps } from '../core-deps'
import type { HandlersFor } from '../router'
import { APP_VERSION } from '../runtime/version'

export function appHandlers({ home, transport }: CoreDeps): HandlersFor<'app'> {
  return {
    'app:info': () => ({
      version: APP_VERSION,
      home,
      transport: transport === 'desktop' ? 'desktop' : 'browser',
      schemaVersion: LATEST_SCHEMA_VERSION,
    }),
  }
}
