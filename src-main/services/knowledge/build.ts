import Database from 'better-sqlite3'
import path from 'node:path'
import { AppError } from '../../../src-shared/contract'
import type { KnowledgeBuildSummary, KnowledgeSourceFile } from '../../../src-shared/contract/channels/knowledge'
import { readGene2Go, readGeneInfo, type GeneInfoRecord } from '../../io/ncbi'
import { readReactomeGmt, readReactomePathways, readReactomeRelations, type ReactomeGeneSet, type ReactomePathway, type ReactomeRelation } from '../../io/reactome'
import { goTopPartners } from './go-graph'
import { ReactomeNet } from './reactome-net'
import { KNOWLEDGE_SCHEMA, KNOWLEDGE_SCHEMA_VERSION } from './schema'
import type { LocatedSources } from './sources'

export const GO_TOP_K = 20

export interface BuildInput {
  located: LocatedSources
  sources: KnowledgeSourceFile[]
  release: string
  /** a fresh path; the caller renames it into place once this resolves */
  outFile: string
  /** Date.now() when the whole build began (hashing included), for the recorded duration */
  startedAt: number
  signal?: AbortSignal
  onProgress?: (fraction: number, message: string) => void
  nativeBinding?: string
}

const EXAMPLES = 12

/**
 * Reads the knowledge files, computes the pathway depths and the GO top-20 graph, and writes
 * one release file. Pure with respect to the app: it only creates `outFile`.
 */
export async function buildKnowledgeFile(input: BuildInput): Promise<KnowledgeBuildSummary> {
  const { located, signal } = input
  const progress = input.onProgress ?? (() => undefined)
  const opts = { signal }
  const warnings: string[] = []
  const checkCancel = () => {
    if (signal?.aborted) throw new AppError('knowledge.cancelled', 'The knowledge build was cancelled; the previous knowledge base is still in use.')
  }

  // Reactome
  let pathways: ReactomePathway[] = []
  let relations: ReactomeRelation[] = []
  let geneSets: ReactomeGeneSet[] = []
  if (located.files.pathways) {
    progress(0.05, 'Reading Reactome pathways')
    const p = await readReactomePathways(located.files.pathways, opts)
    pathways = p.pathways
    const known = new Set(pathways.map((x) => x.id))
    const r = await readReactomeRelations(located.files.relations!, known, opts)
    relations = r.relations
    if (r.duplicateRows) warnings.push(`${path.basename(located.files.relations!)}: ${r.duplicateRows} repeated rows ignored.`)
    progress(0.1, 'Reading Reactome gene sets')
    geneSets = (await readReactomeGmt(located.files.gmt!, known, opts)).geneSets
    const otherRows = p.otherSpeciesRows + r.otherSpeciesRows
    if (otherRows) warnings.push(`Reactome: ${otherRows} rows of other species ignored.`)
  } else {
    warnings.push('No Reactome files: pathway queries and the attention mask are unavailable in this release.')
  }
  checkCancel()

  // NCBI
  let infos: GeneInfoRecord[] = []
  let goRows: Awaited<ReturnType<typeof readGene2Go>> | undefined
  if (located.files.geneInfo) {
    progress(0.15, 'Reading NCBI gene_info')
    infos = (await readGeneInfo(located.files.geneInfo, opts)).genes
    progress(0.22, 'Reading NCBI gene2go')
    goRows = await readGene2Go(located.files.gene2go!, opts)
    if (goRows.negativeRows) warnings.push(`gene2go: ${goRows.negativeRows} negative (NOT) annotations left out of the GO graph.`)
  } else {
    warnings.push('No NCBI files: no GO graph, aliases or Ensembl ids in this release.')
  }
  checkCancel()

  // One gene table: gene_info symbols plus every gene-set token, in symbol order.
  const infoBySymbol = new Map<string, GeneInfoRecord>()
  const symbolOfGeneId = new Map<number, string>()
  let duplicateSymbols = 0
  for (const g of infos) {
    symbolOfGeneId.set(g.geneId, g.symbol)
    if (infoBySymbol.has(g.symbol)) duplicateSymbols++
    else infoBySymbol.set(g.symbol, g)
  }
  if (duplicateSymbols) warnings.push(`gene_info: ${duplicateSymbols} GeneIDs share a symbol with another; their GO terms are merged under that symbol.`)
  const aliasOf = new Map<string, string[]>()
  for (const g of infos) for (const a of g.synonyms) if (a !== g.symbol) (aliasOf.get(a) ?? aliasOf.set(a, []).get(a)!).push(g.symbol)
  const tokens = new Set<string>()
  for (const s of geneSets) for (const g of s.genes) tokens.add(g)
  const symbols = [...new Set([...infoBySymbol.keys(), ...tokens])].sort()
  const geneIdx = new Map(symbols.map((s, i) => [s, i]))

  const unrecognised: string[] = []
  const aliasOnly: string[] = []
  if (infos.length) {
    for (const t of [...tokens].sort()) {
      if (infoBySymbol.has(t)) continue
      if (aliasOf.has(t)) aliasOnly.push(`${t} (gene_info: ${aliasOf.get(t)!.join('/')})`)
      else unrecognised.push(t)
    }
    if (aliasOnly.length) {
      warnings.push(
        `${aliasOnly.length} gene-set symbols are only aliases in gene_info (the files are from different years), e.g. ${aliasOnly.slice(0, 5).join(', ')}; pathways stay under Reactome's symbol.`,
      )
    }
    if (unrecognised.length) warnings.push(`${unrecognised.length} gene-set tokens are not human gene symbols in gene_info (viral, bacterial or newer names), e.g. ${unrecognised.slice(0, 8).map((t) => JSON.stringify(t)).join(', ')}; they are kept as listed.`)
  }

  // ReactomeNet: depths and cycle check.
  const pathwayIdx = new Map(pathways.map((p, i) => [p.id, i]))
  const setOf = new Map(geneSets.map((s) => [s.id, s]))
  const net = new ReactomeNet({
    pathwayIds: pathways.map((p) => p.id),
    relations: relations.map((r) => ({ parent: pathwayIdx.get(r.parent)!, child: pathwayIdx.get(r.child)! })),
    geneSets: pathways.map((p) => (setOf.get(p.id)?.genes ?? []).map((g) => geneIdx.get(g)!)),
    nGenes: symbols.length,
  })
  const withoutSet = pathways.length - geneSets.length
  if (pathways.length && withoutSet) warnings.push(`${withoutSet} pathways have no gene set in ReactomePathways.gmt (they list no genes).`)

  // GO: distinct (gene, term) pairs by symbol.
  progress(0.3, 'Computing the GO graph')
  const termIdx = new Map<string, number>()
  const termInfo: { id: string; name: string; category: string }[] = []
  const termsOfGene: number[][] = Array.from({ length: symbols.length }, () => [])
  let unknownGeneIds = 0
  for (const a of goRows?.annotations ?? []) {
    const symbol = symbolOfGeneId.get(a.geneId)
    if (symbol === undefined) {
      unknownGeneIds++
      continue
    }
    let t = termIdx.get(a.goId)
    if (t === undefined) {
      t = termInfo.length
      termIdx.set(a.goId, t)
      termInfo.push({ id: a.goId, name: a.term, category: a.category })
    }
    termsOfGene[geneIdx.get(symbol)!].push(t)
  }
  if (unknownGeneIds) warnings.push(`gene2go: ${unknownGeneIds} annotations name GeneIDs missing from gene_info and were skipped (download both files on the same day).`)
  const ptr = new Int32Array(symbols.length + 1)
  const flat: number[] = []
  termsOfGene.forEach((list, g) => {
    const uniq = [...new Set(list)].sort((a, b) => a - b)
    for (const t of uniq) flat.push(t)
    ptr[g + 1] = flat.length
  })
  const geneTerms = { nGenes: symbols.length, nTerms: termInfo.length, indptr: ptr, terms: Int32Array.from(flat) }
  const top = await goTopPartners(geneTerms, { k: GO_TOP_K, signal, onProgress: (f) => progress(0.3 + 0.55 * f, 'Computing the GO graph') })
  checkCancel()

  progress(0.86, 'Writing the knowledge base')
  let goGenes = 0
  for (let g = 0; g < symbols.length; g++) if (ptr[g + 1] > ptr[g]) goGenes++
  const summary: KnowledgeBuildSummary = {
    release: input.release,
    pathways: pathways.length,
    relations: relations.length,
    roots: net.roots.length,
    genesWithPathways: tokens.size,
    goGenes,
    goAnnotations: goRows ? goRows.annotations.length : 0,
    goTerms: termInfo.length,
    goEdges: top.partners.length,
    geneInfoGenes: infoBySymbol.size,
    aliases: aliasOf.size,
    unrecognisedTokens: { count: unrecognised.length, examples: unrecognised.slice(0, EXAMPLES) },
    warnings,
    sources: input.sources,
    builtAt: new Date().toISOString(),
    seconds: 0,
    reused: false,
  }

  const db = new Database(input.outFile, input.nativeBinding ? { nativeBinding: input.nativeBinding } : {})
  try {
    // A fresh temporary file: no journal needed, it is renamed into place only when complete.
    db.pragma('journal_mode = OFF')
    db.pragma('synchronous = OFF')
    db.exec(KNOWLEDGE_SCHEMA)
    db.transaction(() => {
      const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)')
      meta.run('release', input.release)
      meta.run('built_at', summary.builtAt)
      const src = db.prepare('INSERT INTO sources (role, file, bytes, sha256) VALUES (?, ?, ?, ?)')
      for (const s of input.sources) src.run(s.role, s.file, s.bytes, s.sha256)
      const pw = db.prepare('INSERT INTO pathways (idx, id, name, depth, has_gene_set) VALUES (?, ?, ?, ?, ?)')
      pathways.forEach((p, i) => pw.run(i, p.id, p.name, net.depth[i], setOf.has(p.id) ? 1 : 0))
      const rel = db.prepare('INSERT INTO pathway_relations (parent, child) VALUES (?, ?)')
      for (const r of relations) rel.run(pathwayIdx.get(r.parent), pathwayIdx.get(r.child))
      const gene = db.prepare('INSERT INTO genes (idx, symbol, gene_id, description, type, in_gene_info) VALUES (?, ?, ?, ?, ?, ?)')
      symbols.forEach((s, i) => {
        const info = infoBySymbol.get(s)
        gene.run(i, s, info?.geneId ?? null, info?.description ?? '', info?.type ?? '', info ? 1 : 0)
      })
      const alias = db.prepare('INSERT OR IGNORE INTO gene_aliases (alias, gene) VALUES (?, ?)')
      for (const [a, targets] of aliasOf) for (const t of targets) alias.run(a, geneIdx.get(t))
      const ens = db.prepare('INSERT OR IGNORE INTO gene_ensembl (ensembl, gene) VALUES (?, ?)')
      for (const g of infos) for (const e of g.ensembl) ens.run(e, geneIdx.get(g.symbol))
      const gs = db.prepare('INSERT INTO gene_sets (pathway, gene) VALUES (?, ?)')
      net.geneSets.forEach((set, p) => {
        for (const g of set) gs.run(p, g)
      })
      const term = db.prepare('INSERT INTO go_terms (idx, id, name, category) VALUES (?, ?, ?, ?)')
      termInfo.forEach((t, i) => term.run(i, t.id, t.name, t.category))
      const gg = db.prepare('INSERT INTO gene_go (gene, term) VALUES (?, ?)')
      for (let g = 0; g < symbols.length; g++) for (let e = ptr[g]; e < ptr[g + 1]; e++) gg.run(g, geneTerms.terms[e])
      const nb = db.prepare('INSERT INTO go_neighbours (gene, rank, partner, jaccard) VALUES (?, ?, ?, ?)')
      for (let g = 0; g < symbols.length; g++) for (let e = top.indptr[g]; e < top.indptr[g + 1]; e++) nb.run(g, e - top.indptr[g], top.partners[e], top.jaccard[e])
    })()
    summary.seconds = Math.round((Date.now() - input.startedAt) / 10) / 100
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('summary', JSON.stringify(summary))
    db.pragma(`user_version = ${KNOWLEDGE_SCHEMA_VERSION}`)
  } finally {
    db.close()
  }
  progress(1, 'Knowledge base ready')
  return summary
}
