import { AppError } from '../../src-shared/contract'
import { readGene2Go, readGeneInfo } from '../io/ncbi'
import { readReactomeGmt, readReactomePathways, readReactomeRelations } from '../io/reactome'
import { ReactomeNet } from '../services/knowledge/reactome-net'
import { KNOWLEDGE_HELP, locateSources } from '../services/knowledge/sources'
import type { SyntheticKnowledge } from './types'

/**
 * Builds the generator's knowledge input from a knowledge folder (the five files of
 * shared/README.md, read by the app's own parsers): gene symbols from `gene_info`, GO terms
 * from `gene2go`, and each Reactome pathway's L1 genes — those it lists that none of its
 * sub-pathways contains, i.e. the sets the attention mask of docs/ml-engine.md §2 is built from.
 */

// Unannotated genes are kept only when they look like protein-coding genes a screen would
// measure or target (gene_info's type column is often empty, so judge by symbol and description).
const NOT_A_GENE_SYMBOL = /^(LOC|LINC|MIR|SNOR|SNHG|RNU|RNA|RNY|TRNA|TR[ABDG][VJ]|IG[HKL][VJ]|OR\d)|P\d+$/
const NOT_A_GENE_DESCRIPTION = /pseudogene|RNA|syndrome|antisense|readthrough|divergent|region|locus|cluster|fragile site|uncharacterized|segment/i
const TIDY_SYMBOL = /^[A-Z][A-Z0-9]+$/

export async function loadSyntheticKnowledge(folder: string, options: { signal?: AbortSignal } = {}): Promise<SyntheticKnowledge> {
  const { files } = locateSources(folder)
  const missing = (['pathways', 'relations', 'gmt', 'gene2go', 'geneInfo'] as const).filter((r) => !files[r])
  if (missing.length) {
    throw new AppError('synthetic.no-knowledge', `The synthetic generator needs both the Reactome and the NCBI files.\n${KNOWLEDGE_HELP(folder)}`)
  }
  const read = { signal: options.signal }
  const { pathways } = await readReactomePathways(files.pathways!, read)
  const known = new Set(pathways.map((p) => p.id))
  const { relations } = await readReactomeRelations(files.relations!, known, read)
  const { geneSets } = await readReactomeGmt(files.gmt!, known, read)
  const { genes: info } = await readGeneInfo(files.geneInfo!, read)
  const { annotations } = await readGene2Go(files.gene2go!, read)

  const symbolOf = new Map(info.map((r) => [r.geneId, r.symbol]))
  const symbols = new Set(info.map((r) => r.symbol))
  const plausible = new Set(
    info.filter((r) => r.ensembl.length > 0 && TIDY_SYMBOL.test(r.symbol) && !NOT_A_GENE_SYMBOL.test(r.symbol) && !NOT_A_GENE_DESCRIPTION.test(r.description)).map((r) => r.symbol),
  )
  const goTerms = new Map<string, string[]>()
  for (const a of annotations) {
    const s = symbolOf.get(a.geneId)
    if (!s) continue
    let list = goTerms.get(s)
    if (!list) goTerms.set(s, (list = []))
    list.push(a.goId)
  }
  for (const [s, list] of goTerms) goTerms.set(s, [...new Set(list)].sort())

  // pathway gene sets on gene_info symbols (the GMT also lists viral tokens such as `gag`)
  const ids = pathways.map((p) => p.id)
  const pIndex = new Map(ids.map((id, i) => [id, i]))
  const geneList: string[] = []
  const gIndex = new Map<string, number>()
  const sets: number[][] = ids.map(() => [])
  for (const s of geneSets) {
    const list = sets[pIndex.get(s.id)!]
    for (const g of s.genes) {
      if (!symbols.has(g)) continue
      let i = gIndex.get(g)
      if (i === undefined) {
        gIndex.set(g, (i = geneList.length))
        geneList.push(g)
      }
      list.push(i)
    }
  }
  const net = new ReactomeNet({
    pathwayIds: ids,
    relations: relations.map((r) => ({ parent: pIndex.get(r.parent)!, child: pIndex.get(r.child)! })),
    geneSets: sets,
    nGenes: geneList.length,
  })
  const l1: { id: string; genes: string[] }[] = []
  for (let p = 0; p < ids.length; p++) {
    const below = new Set<number>()
    for (const c of net.children[p]) for (const g of net.allGenes(c)) below.add(g)
    const own = [...net.geneSets[p]].filter((g) => !below.has(g)).map((g) => geneList[g])
    if (own.length) l1.push({ id: ids[p], genes: own })
  }
  const inAnyPathway = new Set(geneList)
  const genes = [...symbols].filter((s) => inAnyPathway.has(s) || goTerms.has(s) || plausible.has(s))
  return { genes, pathways: l1, goTerms, inAnyPathway }
}
