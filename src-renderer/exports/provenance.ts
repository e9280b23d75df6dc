import { api } from '../api/client'

/** Where an exported file came from, written into its header so it can be traced later. */
export interface Provenance {
  /** what the file holds, e.g. `genes of pathway R-HSA-877300 (Interferon gamma signaling)` */
  what: string
  /** the knowledge release the values came from, when they came from one */
  knowledgeRelease?: string | null
  /** the dataset the values refer to, when any */
  dataset?: string | null
}

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
  const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ')
  const lines = [`Perturb Studio ${await appVersion()}`, oneLine(p.what)]
  if (p.knowledgeRelease) lines.push(`knowledge release: ${oneLine(p.knowledgeRelease)}`)
  if (p.dataset) lines.push(`dataset: ${oneLine(p.dataset)}`)
  lines.push(`exported: ${now.toISOString()}`)
  return lines
}
