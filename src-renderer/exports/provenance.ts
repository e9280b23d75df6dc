import { api } from '../api/client'
import { provenanceLines as linesFor, type Provenance } from '../../src-shared/exports/provenance'

// Formatting lives in src-shared so CSVs from the screens and the CLI carry the same header.
export type { Provenance }

let version: Promise<string> | undefined

/** The app version from `app:info`, asked once per session. */
export function appVersion(): Promise<string> {
  version ??= api
    .call('app:info', {})
    .then((info) => info.version)
    .catch(() => {
      version = undefined
      return 'unknown'
    })
  return version
}

/** Provenance as `key: value` lines (no line breaks inside a value). */
export async function provenanceLines(p: Provenance, now = new Date()): Promise<string[]> {
  return linesFor(p, await appVersion(), now)
}
