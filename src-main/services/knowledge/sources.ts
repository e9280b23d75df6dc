import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { AppError } from '../../../src-shared/contract'
import type { KnowledgeRole, KnowledgeSourceFile, KnowledgeSourceSlot } from '../../../src-shared/contract/channels/knowledge'
import { KNOWLEDGE_FILE, openForReading, readError, streamFrom } from '../../io/file-access'

/**
 * Finding the five knowledge files in a folder (or its immediate sub-folders, e.g. the
 * `reactome/` and `go/` layout), by the names the providers publish them under.
 */

interface Slot {
  role: KnowledgeRole
  expected: string
  pattern: RegExp
  group: 'reactome' | 'go'
}

const SLOTS: Slot[] = [
  { role: 'pathways', expected: 'ReactomePathways.txt', pattern: /^ReactomePathways\.txt(\.gz|\.zip)?$/i, group: 'reactome' },
  { role: 'relations', expected: 'ReactomePathwaysRelation.txt', pattern: /^ReactomePathwaysRelation\.txt(\.gz|\.zip)?$/i, group: 'reactome' },
  { role: 'gmt', expected: 'ReactomePathways.gmt', pattern: /^ReactomePathways\.gmt(\.gz|\.zip)?$/i, group: 'reactome' },
  { role: 'gene2go', expected: 'gene2go.gz', pattern: /^gene2go(_[A-Za-z0-9]+)?(\.txt|\.tsv)?(\.gz)?$/i, group: 'go' },
  { role: 'geneInfo', expected: 'Homo_sapiens.gene_info.gz', pattern: /^([A-Za-z_]+\.)?gene_info(\.txt|\.tsv)?(\.gz)?$/i, group: 'go' },
]

export const KNOWLEDGE_HELP = (folder: string) =>
  [
    `Put these five files in the knowledge folder ${folder} (or choose another folder with --knowledge DIR or the PERTURB_STUDIO_KNOWLEDGE variable), then run: perturb-studio knowledge build`,
    '  From Reactome (https://reactome.org/download-data, "Pathways" section; unzip the .gmt.zip or leave it zipped):',
    '    ReactomePathways.txt          https://reactome.org/download/current/ReactomePathways.txt',
    '    ReactomePathwaysRelation.txt  https://reactome.org/download/current/ReactomePathwaysRelation.txt',
    '    ReactomePathways.gmt          https://reactome.org/download/current/ReactomePathways.gmt.zip',
    '  From NCBI Gene (gzipped is fine):',
    '    gene2go.gz                    https://ftp.ncbi.nlm.nih.gov/gene/DATA/gene2go.gz',
    '    Homo_sapiens.gene_info.gz     https://ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz',
    'Without them the app still works: models use the co-expression graph only and cannot predict genes they have not seen.',
  ].join('\n')

export interface LocatedSources {
  folder: string
  files: Partial<Record<KnowledgeRole, string>>
  slots: KnowledgeSourceSlot[]
}

/** Looks for the files without failing: what a status screen shows. */
export function scanSources(folder: string): LocatedSources {
  const candidates: string[] = []
  const list = (dir: string) => {
    try {
      return fs.readdirSync(dir, { withFileTypes: true })
    } catch {
      return []
    }
  }
  // A symbolic link counts as what it points to (a knowledge folder of links into a shared
  // download is common); a dangling link counts as nothing.
  const kind = (dir: string, e: fs.Dirent): 'file' | 'dir' | null => {
    if (e.isSymbolicLink()) {
      try {
        const st = fs.statSync(path.join(dir, e.name))
        return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : null
      } catch {
        return null
      }
    }
    return e.isFile() ? 'file' : e.isDirectory() ? 'dir' : null
  }
  const top = list(folder).sort((a, b) => a.name.localeCompare(b.name))
  for (const e of top) if (kind(folder, e) === 'file') candidates.push(path.join(folder, e.name))
  for (const e of top) {
    if (kind(folder, e) !== 'dir' || e.name.startsWith('.')) continue
    const sub = path.join(folder, e.name)
    for (const f of list(sub).sort((a, b) => a.name.localeCompare(b.name))) if (kind(sub, f) === 'file') candidates.push(path.join(sub, f.name))
  }
  const files: Partial<Record<KnowledgeRole, string>> = {}
  const slots: KnowledgeSourceSlot[] = []
  const ambiguous: string[] = []
  for (const s of SLOTS) {
    const hits = candidates.filter((c) => s.pattern.test(path.basename(c)))
    if (hits.length > 1) ambiguous.push(`${s.expected}: ${hits.map((h) => path.relative(folder, h)).join(', ')}`)
    if (hits.length) files[s.role] = hits[0]
    slots.push({ role: s.role, expected: s.expected, found: hits.length ? path.relative(folder, hits[0]) : null })
  }
  return Object.assign({ folder, files, slots }, ambiguous.length ? { ambiguous } : {})
}

/**
 * The files a build reads: the three Reactome files together and/or the two NCBI files
 * together. Throws `knowledge.no-files`, `knowledge.missing-file` or `knowledge.ambiguous-files`.
 */
export function locateSources(folder: string): LocatedSources {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    throw new AppError('knowledge.no-files', `The knowledge folder ${folder} does not exist.\n${KNOWLEDGE_HELP(folder)}`)
  }
  const found = scanSources(folder) as LocatedSources & { ambiguous?: string[] }
  if (found.ambiguous) {
    throw new AppError('knowledge.ambiguous-files', `The knowledge folder ${folder} holds more than one candidate for ${found.ambiguous.join('; ')}. Keep one of each (move the others out) and build again.`)
  }
  const present = (g: Slot['group']) => SLOTS.filter((s) => s.group === g && found.files[s.role])
  if (present('reactome').length === 0 && present('go').length === 0) {
    throw new AppError('knowledge.no-files', `The knowledge folder ${folder} holds none of the knowledge files.\n${KNOWLEDGE_HELP(folder)}`)
  }
  for (const g of ['reactome', 'go'] as const) {
    const have = present(g)
    const missing = SLOTS.filter((s) => s.group === g && !found.files[s.role])
    if (have.length && missing.length) {
      throw new AppError(
        'knowledge.missing-file',
        `The knowledge folder ${folder} has ${have.map((s) => s.expected).join(' and ')} but not ${missing.map((s) => s.expected).join(' and ')}, which ${g === 'reactome' ? 'must come from the same Reactome release' : 'are read together (gene2go names genes by NCBI GeneID, gene_info gives their symbols)'}.\n${KNOWLEDGE_HELP(folder)}`,
      )
    }
  }
  return found
}

export async function hashFile(file: string): Promise<string> {
  const hash = crypto.createHash('sha256')
  const stream = streamFrom(openForReading(file, 'knowledge file', KNOWLEDGE_FILE), { highWaterMark: 1 << 20 })
  try {
    for await (const chunk of stream) hash.update(chunk as Buffer)
  } catch (err) {
    throw readError(file, err, 'knowledge file', KNOWLEDGE_FILE)
  }
  return hash.digest('hex')
}

export async function describeSources(located: LocatedSources): Promise<KnowledgeSourceFile[]> {
  const out: KnowledgeSourceFile[] = []
  for (const s of SLOTS) {
    const file = located.files[s.role]
    if (!file) continue
    out.push({ role: s.role, file: path.relative(located.folder, file), bytes: fs.statSync(file).size, sha256: await hashFile(file) })
  }
  return out
}

/** The label a build gets when none is given: the same files always give the same label. */
export function defaultReleaseLabel(sources: KnowledgeSourceFile[]): string {
  const h = crypto.createHash('sha256')
  for (const s of sources) h.update(`${s.role}:${s.sha256}\n`)
  return `kb-${h.digest('hex').slice(0, 10)}`
}
