/**
 * Where an exported file came from, written the same way into a CSV's `#` header and a chart's
 * caption, by the screens and by the CLI, so a file can be traced to its dataset, run and app.
 */

export interface Provenance {
  /** what the file holds, e.g. `genes of pathway R-HSA-877300 (Interferon gamma signaling)` */
  what: string
  /** the knowledge release the values came from, when they came from one */
  knowledgeRelease?: string | null
  /** the dataset the values refer to, when any */
  dataset?: string | null
  /** the run, e.g. `run 12 “baseline sweep”` */
  run?: string | null
  model?: string | null
  seed?: number | string | null
  /** further `key: value` lines, in order (e.g. control cells averaged) */
  extra?: [string, string | number][]
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ')

/** Provenance as `key: value` lines (no line breaks inside a value), for a CSV's `#` header. */
export function provenanceLines(p: Provenance, appVersion: string, now = new Date()): string[] {
  const lines = [`Perturb Studio ${appVersion}`, oneLine(p.what)]
  if (p.knowledgeRelease) lines.push(`knowledge release: ${oneLine(p.knowledgeRelease)}`)
  if (p.dataset) lines.push(`dataset: ${oneLine(p.dataset)}`)
  if (p.run) lines.push(`run: ${oneLine(p.run)}`)
  if (p.model) lines.push(`model: ${oneLine(p.model)}`)
  if (p.seed !== undefined && p.seed !== null) lines.push(`seed: ${p.seed}`)
  for (const [k, v] of p.extra ?? []) lines.push(`${oneLine(k)}: ${oneLine(String(v))}`)
  lines.push(`exported: ${now.toISOString()}`)
  return lines
}

/** One line under a chart: dataset · run · model · seed · app version. */
export function captionText(p: Omit<Provenance, 'what'>, appVersion: string): string {
  const parts: string[] = []
  if (p.dataset) parts.push(`dataset ${oneLine(p.dataset)}`)
  if (p.run) parts.push(oneLine(p.run))
  if (p.model) parts.push(`model ${oneLine(p.model)}`)
  if (p.seed !== undefined && p.seed !== null) parts.push(`seed ${p.seed}`)
  if (p.knowledgeRelease) parts.push(`knowledge ${oneLine(p.knowledgeRelease)}`)
  parts.push(`Perturb Studio ${appVersion}`)
  return parts.join(' · ')
}
