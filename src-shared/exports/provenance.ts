/**
 * Where an exported file came from, written the same way into a table's provenance (the CSV's
 * sidecar `<name>.provenance.txt`, the workbook's Provenance sheet) and a chart's caption, by the
 * screens and by the CLI, so a file can be traced to its dataset, run and app.
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

/**
 * Provenance as `[key, value]` pairs in a fixed order (no line breaks inside either): `app` and
 * `contents` first, `exported` last. The workbook's Provenance sheet has one row per pair.
 */
export function provenanceEntries(p: Provenance, appVersion: string, now = new Date()): [string, string][] {
  const entries: [string, string][] = [
    ['app', `Perturb Studio ${appVersion}`],
    ['contents', oneLine(p.what)],
  ]
  if (p.knowledgeRelease) entries.push(['knowledge release', oneLine(p.knowledgeRelease)])
  if (p.dataset) entries.push(['dataset', oneLine(p.dataset)])
  if (p.run) entries.push(['run', oneLine(p.run)])
  if (p.model) entries.push(['model', oneLine(p.model)])
  if (p.seed !== undefined && p.seed !== null) entries.push(['seed', String(p.seed)])
  for (const [k, v] of p.extra ?? []) entries.push([oneLine(k), oneLine(String(v))])
  entries.push(['exported', now.toISOString()])
  return entries
}

/** Provenance as lines: the app and the contents, then `key: value` lines (no line breaks inside a value). */
export function provenanceLines(p: Provenance, appVersion: string, now = new Date()): string[] {
  return provenanceEntries(p, appVersion, now).map(([k, v], i) => (i < 2 ? v : `${k}: ${v}`))
}

/** The sidecar that carries a CSV's provenance, beside it: `pred.csv` → `pred.provenance.txt`. */
export function provenanceFileName(fileName: string): string {
  const dot = fileName.lastIndexOf('.')
  return `${dot > 0 ? fileName.slice(0, dot) : fileName}.provenance.txt`
}

/**
 * The sidecar's text: which file it describes, then the provenance lines, UTF-8 with a final
 * newline. Plain text, so it opens with a double-click on any computer and can be pasted into a
 * lab notebook as it is.
 */
export function provenanceText(p: Provenance, appVersion: string, about: { fileName: string; rows: number; columns: number }, now = new Date()): string {
  const lines = provenanceLines(p, appVersion, now)
  lines.splice(2, 0, `file: ${oneLine(about.fileName)} (one header row, then ${about.rows.toLocaleString('en')} rows × ${about.columns} columns)`)
  return `${lines.join('\n')}\n`
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
