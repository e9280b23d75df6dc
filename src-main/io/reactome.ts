import path from 'node:path'
import { AppError } from '../../src-shared/contract'
import { forEachLine, type LineReadOptions } from './reactome-lines'

/**
 * Readers for Reactome's standard download files, as distributed (plain, gzipped or zipped):
 * `ReactomePathways.txt` (id, name, species), `ReactomePathwaysRelation.txt` (parent, child)
 * and `ReactomePathways.gmt` (name, id, gene symbols…). Only human rows are kept; the other
 * species' rows are counted and ignored. Every malformed line is an error naming file and line.
 */

export const HUMAN_SPECIES = 'Homo sapiens'
export const HUMAN_PREFIX = 'R-HSA-'
const STABLE_ID = /^R-[A-Z]{3,4}-\d+$/

export interface ReactomePathway {
  id: string
  name: string
}

export interface ReactomeRelation {
  parent: string
  child: string
}

export interface ReactomeGeneSet {
  id: string
  name: string
  /** tokens as listed, duplicates removed, in file order */
  genes: string[]
}

function where(file: string, lineNo: number): string {
  return `${path.basename(file)} line ${lineNo}`
}

function badFormat(file: string, lineNo: number, what: string, fix: string): AppError {
  return new AppError('knowledge.bad-format', `${where(file, lineNo)}: ${what}. ${fix}`)
}

const REDOWNLOAD = 'Download the file again from https://reactome.org/download-data.'

export async function readReactomePathways(file: string, options: LineReadOptions = {}): Promise<{ pathways: ReactomePathway[]; otherSpeciesRows: number }> {
  const pathways: ReactomePathway[] = []
  const seen = new Set<string>()
  let otherSpeciesRows = 0
  await forEachLine(
    file,
    (line, n) => {
      if (line.trim() === '') return
      const f = line.split('\t')
      if (f.length < 3) throw badFormat(file, n, `expected 3 tab-separated fields (stable id, name, species), found ${f.length}`, `Is this ReactomePathways.txt? ${REDOWNLOAD}`)
      const [id, name, species] = f
      if (!STABLE_ID.test(id)) throw badFormat(file, n, `"${id}" is not a Reactome stable id (like R-HSA-109581)`, REDOWNLOAD)
      if (species !== HUMAN_SPECIES) {
        otherSpeciesRows++
        return
      }
      if (!id.startsWith(HUMAN_PREFIX)) throw badFormat(file, n, `${id} is listed as ${HUMAN_SPECIES} but lacks the ${HUMAN_PREFIX} prefix`, REDOWNLOAD)
      if (seen.has(id)) throw badFormat(file, n, `pathway ${id} is listed twice`, REDOWNLOAD)
      seen.add(id)
      pathways.push({ id, name: name.trim() })
    },
    options,
  )
  if (pathways.length === 0) {
    throw new AppError('knowledge.no-human-rows', `${path.basename(file)} lists no ${HUMAN_SPECIES} pathways${otherSpeciesRows ? ` (${otherSpeciesRows} rows of other species)` : ''}. Use Reactome's ReactomePathways.txt, which covers every species.`)
  }
  return { pathways, otherSpeciesRows }
}

/**
 * Parent → child rows between human pathways. Ids must be among `known` (the pathway list of
 * the same release); rows between other species' pathways are ignored, duplicates dropped.
 */
export async function readReactomeRelations(
  file: string,
  known: ReadonlySet<string>,
  options: LineReadOptions = {},
): Promise<{ relations: ReactomeRelation[]; otherSpeciesRows: number; duplicateRows: number }> {
  const relations: ReactomeRelation[] = []
  const seen = new Set<string>()
  let otherSpeciesRows = 0
  let duplicateRows = 0
  await forEachLine(
    file,
    (line, n) => {
      if (line.trim() === '') return
      const f = line.split('\t')
      if (f.length !== 2) throw badFormat(file, n, `expected 2 tab-separated fields (parent id, child id), found ${f.length}`, `Is this ReactomePathwaysRelation.txt? ${REDOWNLOAD}`)
      const [parent, child] = f.map((s) => s.trim())
      for (const id of [parent, child]) if (!STABLE_ID.test(id)) throw badFormat(file, n, `"${id}" is not a Reactome stable id`, REDOWNLOAD)
      const humanParent = parent.startsWith(HUMAN_PREFIX)
      const humanChild = child.startsWith(HUMAN_PREFIX)
      if (!humanParent && !humanChild) {
        otherSpeciesRows++
        return
      }
      if (humanParent !== humanChild) throw badFormat(file, n, `${parent} → ${child} links pathways of two species`, REDOWNLOAD)
      for (const id of [parent, child]) {
        if (!known.has(id)) {
          throw new AppError(
            'knowledge.unknown-pathway',
            `${where(file, n)}: ${id} is not in the pathway list (ReactomePathways.txt). The two files come from different Reactome releases: download ReactomePathways.txt, ReactomePathwaysRelation.txt and ReactomePathways.gmt together from https://reactome.org/download-data.`,
          )
        }
      }
      if (parent === child) throw badFormat(file, n, `${parent} is listed as its own sub-pathway`, REDOWNLOAD)
      const key = `${parent}\t${child}`
      if (seen.has(key)) {
        duplicateRows++
        return
      }
      seen.add(key)
      relations.push({ parent, child })
    },
    options,
  )
  return { relations, otherSpeciesRows, duplicateRows }
}

/**
 * Gene sets of human pathways. A file whose last line lacks its newline is refused as
 * truncated (Reactome's file always ends with one); ids must be among `known`.
 */
export async function readReactomeGmt(file: string, known: ReadonlySet<string>, options: LineReadOptions = {}): Promise<{ geneSets: ReactomeGeneSet[]; otherSpeciesRows: number }> {
  const geneSets: ReactomeGeneSet[] = []
  const seen = new Set<string>()
  let otherSpeciesRows = 0
  let lastLine = 0
  const result = await forEachLine(
    file,
    (line, n) => {
      lastLine = n
      if (line.trim() === '') return
      const f = line.split('\t')
      if (f.length < 2) throw badFormat(file, n, `expected a pathway name, its stable id and gene symbols separated by tabs, found ${f.length} field`, `Is this ReactomePathways.gmt? ${REDOWNLOAD}`)
      const [name, id] = f
      if (!STABLE_ID.test(id)) throw badFormat(file, n, `the second field "${id.slice(0, 40)}" is not a Reactome stable id`, `Is this ReactomePathways.gmt? ${REDOWNLOAD}`)
      if (!id.startsWith(HUMAN_PREFIX)) {
        otherSpeciesRows++
        return
      }
      if (!known.has(id)) {
        throw new AppError(
          'knowledge.unknown-pathway',
          `${where(file, n)}: gene set ${id} is not in the pathway list (ReactomePathways.txt). Download the three Reactome files together from the same release at https://reactome.org/download-data.`,
        )
      }
      if (seen.has(id)) throw badFormat(file, n, `gene set ${id} is listed twice`, REDOWNLOAD)
      seen.add(id)
      const genes = [...new Set(f.slice(2).map((g) => g.trim()).filter((g) => g !== ''))]
      geneSets.push({ id, name: name.trim(), genes })
    },
    options,
  )
  if (!result.endsWithNewline) {
    throw new AppError(
      'knowledge.truncated',
      `${path.basename(file)} ends in the middle of line ${lastLine} (no final newline): the file is truncated, so that gene set would be incomplete. ${REDOWNLOAD}`,
    )
  }
  if (geneSets.length === 0) throw new AppError('knowledge.no-human-rows', `${path.basename(file)} holds no human (${HUMAN_PREFIX}) gene sets. ${REDOWNLOAD}`)
  return { geneSets, otherSpeciesRows }
}
