import Database from 'better-sqlite3'
import path from 'node:path'
import { AppError } from '../../../src-shared/contract'
import type {
  GeneHit,
  GenePathway,
  GeneView,
  GoNeighbour,
  KnowledgeBuildSummary,
  KnowledgeSearchResult,
  MaskLevelInput,
  MaskResult,
  PathwayDetail,
  PathwayGraph,
  PathwayGraphNode,
  PathwayHit,
  PathwayNode,
} from '../../../src-shared/contract/channels/knowledge'
import { GeneResolver } from './gene-resolver'
import { attentionMask, maskPairs, type MaskOptions, type SparseMask } from './mask'
import { ReactomeNet } from './reactome-net'
import { KNOWLEDGE_SCHEMA_VERSION } from './schema'

/** Sorted GO term and L1 pathway ids per gene, CSR (row i = the i-th gene asked for). */
export interface GeneAnnotations {
  goPtr: Int32Array
  goTerms: Int32Array
  l1Ptr: Int32Array
  l1Pathways: Int32Array
}

interface Index {
  aliases: Map<string, number[]>
  pathwayIds: string[]
  pathwayNames: string[]
  pathwayByLower: Map<string, number>
  net: ReactomeNet
  resolver: GeneResolver
  symbols: string[]
}

/**
 * One knowledge release, opened read-only. The pathway graph, symbols and aliases are loaded
 * into memory on the first query (a few hundred ms) so gene queries then take milliseconds;
 * GO terms, neighbours and descriptions are read from SQLite per query (indexed).
 */
export class KnowledgeBase {
  readonly release: string
  readonly summary: KnowledgeBuildSummary
  private readonly db: Database.Database
  private index?: Index

  constructor(
    readonly file: string,
    nativeBinding?: string,
  ) {
    const name = path.basename(file)
    try {
      this.db = new Database(file, { readonly: true, fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) })
    } catch (err) {
      throw new AppError('knowledge.unreadable', `Cannot open the knowledge base ${file}: ${(err as Error).message}. Build it again with: perturb-studio knowledge build`)
    }
    try {
      const version = this.db.pragma('user_version', { simple: true }) as number
      if (version > KNOWLEDGE_SCHEMA_VERSION) {
        throw new AppError('knowledge.too-new', `The knowledge base ${name} was built by a newer Perturb Studio (schema ${version}). Update the app or build the release again with: perturb-studio knowledge build --force`)
      }
      if (version < 1) throw new AppError('knowledge.unreadable', `${name} is not a complete knowledge base. Build it again with: perturb-studio knowledge build --force`)
      const meta = new Map((this.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]))
      this.release = meta.get('release')!
      this.summary = JSON.parse(meta.get('summary')!) as KnowledgeBuildSummary
    } catch (err) {
      this.db.close()
      if (err instanceof AppError) throw err
      throw new AppError('knowledge.unreadable', `${name} is not a readable knowledge base (${(err as Error).message}). Build it again with: perturb-studio knowledge build --force`)
    }
  }

  close(): void {
    this.db.close()
  }

  /** Loads the in-memory index now (the first query does it otherwise). */
  load(): this {
    this.idx()
    return this
  }

  private idx(): Index {
    if (this.index) return this.index
    const db = this.db
    const pathways = db.prepare('SELECT idx, id, name FROM pathways ORDER BY idx').raw().all() as [number, string, string][]
    const pathwayIds = pathways.map((p) => p[1])
    const pathwayNames = pathways.map((p) => p[2])
    const symbols = (db.prepare('SELECT symbol FROM genes ORDER BY idx').raw().all() as [string][]).map((r) => r[0])
    const sets: number[][] = pathways.map(() => [])
    for (const [p, g] of db.prepare('SELECT pathway, gene FROM gene_sets').raw().iterate() as Iterable<[number, number]>) sets[p].push(g)
    const relations = (db.prepare('SELECT parent, child FROM pathway_relations').raw().all() as [number, number][]).map(([parent, child]) => ({ parent, child }))
    const net = new ReactomeNet({ pathwayIds, relations, geneSets: sets, nGenes: symbols.length })
    const aliases = new Map<string, number[]>()
    for (const [a, g] of db.prepare('SELECT alias, gene FROM gene_aliases').raw().iterate() as Iterable<[string, number]>) {
      const list = aliases.get(a)
      if (list) list.push(g)
      else aliases.set(a, [g])
    }
    const ensembl = new Map<string, number[]>()
    for (const [e, g] of db.prepare('SELECT ensembl, gene FROM gene_ensembl').raw().iterate() as Iterable<[string, number]>) {
      const key = e.toUpperCase()
      const list = ensembl.get(key)
      if (list) list.push(g)
      else ensembl.set(key, [g])
    }
    this.index = {
      aliases,
      pathwayIds,
      pathwayNames,
      pathwayByLower: new Map(pathwayIds.map((id, i) => [id.toLowerCase(), i])),
      net,
      resolver: new GeneResolver({ symbols, aliases, ensembl }),
      symbols,
    }
    return this.index
  }

  // ── genes ────────────────────────────────────────────────────────────────

  /** The gene index for a symbol, alias or Ensembl id; `knowledge.unknown-gene` with the closest symbols otherwise. */
  resolveGene(query: string): { gene: number; symbol: string; via: GeneView['via'] } {
    const ix = this.idx()
    const r = ix.resolver.resolve(query)
    if (r.kind === 'found') return { gene: r.gene, symbol: ix.symbols[r.gene], via: r.via }
    if (r.kind === 'ambiguous') {
      throw new AppError('knowledge.ambiguous-gene', `"${query}" is an alias of several genes in knowledge release ${this.release}: ${r.candidates.map((g) => ix.symbols[g]).join(', ')}. Use one of these symbols.`)
    }
    const close = ix.resolver.closest(query)
    throw new AppError(
      'knowledge.unknown-gene',
      `No gene "${query}" in knowledge release ${this.release} (symbols, aliases and Ensembl ids were checked).${close.length ? ` Closest symbols: ${close.join(', ')}.` : ''}`,
    )
  }

  genePathways(query: string): GenePathway[] {
    return this.pathwaysOfGene(this.resolveGene(query).gene)
  }

  private pathwaysOfGene(g: number): GenePathway[] {
    const ix = this.idx()
    return ix.net
      .pathwaysOfGene(g)
      .map((h) => ({ id: ix.pathwayIds[h.pathway], name: ix.pathwayNames[h.pathway], depth: h.depth, level: h.level, ancestors: h.ancestors.map((a) => ix.pathwayIds[a]) }))
      .sort((a, b) => a.level - b.level || b.depth - a.depth || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  goNeighbours(query: string, limit = 20): GoNeighbour[] {
    const { gene } = this.resolveGene(query)
    return this.db
      .prepare('SELECT g.symbol AS gene, n.jaccard AS jaccard FROM go_neighbours n JOIN genes g ON g.idx = n.partner WHERE n.gene = ? ORDER BY n.rank LIMIT ?')
      .all(gene, limit) as GoNeighbour[]
  }

  /**
   * The whole GO perturbation graph (docs/ml-engine.md §2) for training: every gene with GO terms, in
   * symbol order, and each gene's cached top partners as edges partner → gene (messages flow
   * to the gene, as GEARS builds G_sim), weight = Jaccard.
   */
  goGraph(): { genes: string[]; source: Int32Array; target: Int32Array; weight: Float32Array } {
    const ix = this.idx()
    const annotated = (this.db.prepare('SELECT DISTINCT gene FROM gene_go ORDER BY gene').raw().all() as [number][]).map((r) => r[0])
    const position = new Map(annotated.map((g, i) => [g, i]))
    const rows = this.db.prepare('SELECT gene, partner, jaccard FROM go_neighbours ORDER BY gene, rank').raw().all() as [number, number, number][]
    const source = new Int32Array(rows.length)
    const target = new Int32Array(rows.length)
    const weight = new Float32Array(rows.length)
    let e = 0
    for (const [gene, partner, jaccard] of rows) {
      const to = position.get(gene)
      const from = position.get(partner)
      if (to === undefined || from === undefined) continue
      source[e] = from
      target[e] = to
      weight[e++] = jaccard
    }
    return { genes: annotated.map((g) => ix.symbols[g]), source: source.slice(0, e), target: target.slice(0, e), weight: weight.slice(0, e) }
  }

  /**
   * For each knowledge gene index (−1 = unknown: empty lists), its GO terms and its lowest-level
   * (L1) Reactome pathways as CSR lists: what the compositional prior (docs/ml-engine.md §11.1) measures
   * gene similarity with.
   */
  geneAnnotations(geneIndices: ArrayLike<number>): GeneAnnotations {
    const ix = this.idx()
    const termsOf = new Map<number, number[]>()
    for (const [gene, term] of this.db.prepare('SELECT gene, term FROM gene_go').raw().iterate() as Iterable<[number, number]>) {
      const list = termsOf.get(gene)
      if (list) list.push(term)
      else termsOf.set(gene, [term])
    }
    const n = geneIndices.length
    const goPtr = new Int32Array(n + 1)
    const l1Ptr = new Int32Array(n + 1)
    const go: number[] = []
    const l1: number[] = []
    for (let i = 0; i < n; i++) {
      const g = geneIndices[i]
      if (g >= 0) {
        for (const t of (termsOf.get(g) ?? []).sort((a, b) => a - b)) go.push(t)
        if (ix.net.listing(g).length) for (const p of ix.net.l1Pathways(g)) l1.push(p)
      }
      goPtr[i + 1] = go.length
      l1Ptr[i + 1] = l1.length
    }
    return { goPtr, goTerms: Int32Array.from(go), l1Ptr, l1Pathways: Int32Array.from(l1) }
  }

  gene(query: string): GeneView {
    const ix = this.idx()
    const { gene, symbol, via } = this.resolveGene(query)
    const row = this.db.prepare('SELECT gene_id, description, type FROM genes WHERE idx = ?').get(gene) as { gene_id: number | null; description: string; type: string }
    const l1 = ix.net.l1Pathways(gene)
    return {
      query,
      symbol,
      via,
      geneId: row.gene_id,
      description: row.description,
      type: row.type,
      ensembl: (this.db.prepare('SELECT ensembl FROM gene_ensembl WHERE gene = ? ORDER BY ensembl').raw().all(gene) as [string][]).map((r) => r[0]),
      aliases: (this.db.prepare('SELECT alias FROM gene_aliases WHERE gene = ? ORDER BY alias').raw().all(gene) as [string][]).map((r) => r[0]),
      pathways: this.pathwaysOfGene(gene),
      l1Pathways: l1.map((p) => ix.pathwayIds[p]),
      l1Partners: ix.net.l1Partners(gene).map((g) => ix.symbols[g]),
      goTerms: this.db.prepare('SELECT t.id, t.name, t.category FROM gene_go gg JOIN go_terms t ON t.idx = gg.term WHERE gg.gene = ? ORDER BY t.category, t.name').all(gene) as GeneView['goTerms'],
      goNeighbours: this.goNeighbours(symbol),
    }
  }

  // ── pathways ─────────────────────────────────────────────────────────────

  private pathwayIndex(id: string): number {
    const ix = this.idx()
    const p = ix.pathwayByLower.get(id.trim().toLowerCase())
    if (p === undefined) {
      throw new AppError('knowledge.unknown-pathway', `No pathway "${id}" in knowledge release ${this.release}. Pathway ids look like R-HSA-109581; search by name with: perturb-studio knowledge search TEXT`)
    }
    return p
  }

  private node(p: number): PathwayNode {
    const ix = this.idx()
    return { id: ix.pathwayIds[p], name: ix.pathwayNames[p], depth: ix.net.depth[p], childCount: ix.net.children[p].length, geneCount: ix.net.allGenes(p).length }
  }

  private byName = (a: PathwayNode, b: PathwayNode) => a.name.localeCompare(b.name)

  roots(): PathwayNode[] {
    return this.idx()
      .net.roots.map((p) => this.node(p))
      .sort(this.byName)
  }

  children(id: string): PathwayNode[] {
    return this.idx()
      .net.children[this.pathwayIndex(id)].map((c) => this.node(c))
      .sort(this.byName)
  }

  pathway(id: string): PathwayDetail {
    const ix = this.idx()
    const p = this.pathwayIndex(id)
    const names: Record<string, string> = {}
    const ids = (list: number[]) =>
      list.map((q) => {
        names[ix.pathwayIds[q]] = ix.pathwayNames[q]
        return ix.pathwayIds[q]
      })
    const sym = (list: Int32Array) => Array.from(list, (g) => ix.symbols[g]).sort()
    return {
      id: ix.pathwayIds[p],
      name: ix.pathwayNames[p],
      depth: ix.net.depth[p],
      parents: ids(ix.net.parents[p]),
      children: ids(ix.net.children[p]),
      genes: sym(ix.net.geneSets[p]),
      allGenes: sym(ix.net.allGenes(p)),
      ancestors: ids(ix.net.ancestors(p)),
      names,
    }
  }

  /**
   * The pathway, its parents and sub-pathways, and up to `maxGenes` member genes; each gene is
   * linked to the sub-pathways listing it, or to the pathway itself when none does.
   */
  neighbourhood(id: string, maxGenes = 100): PathwayGraph {
    const ix = this.idx()
    const p = this.pathwayIndex(id)
    const net = ix.net
    const pid = ix.pathwayIds[p]
    const nodes: PathwayGraphNode[] = [{ id: pid, label: ix.pathwayNames[p], kind: 'pathway', role: 'center', geneCount: net.allGenes(p).length }]
    const edges: PathwayGraph['edges'] = []
    for (const q of net.parents[p]) {
      nodes.push({ id: ix.pathwayIds[q], label: ix.pathwayNames[q], kind: 'pathway', role: 'parent', geneCount: net.allGenes(q).length })
      edges.push({ source: ix.pathwayIds[q], target: pid, kind: 'sub-pathway' })
    }
    const childSets = net.children[p].map((c) => ({ c, genes: new Set(net.allGenes(c)) }))
    for (const { c } of childSets) {
      nodes.push({ id: ix.pathwayIds[c], label: ix.pathwayNames[c], kind: 'pathway', role: 'child', geneCount: net.allGenes(c).length })
      edges.push({ source: pid, target: ix.pathwayIds[c], kind: 'sub-pathway' })
    }
    const all = Array.from(net.allGenes(p))
    // Genes only this pathway lists (not via a sub-pathway) first: they are what the graph would otherwise hide.
    const own = (g: number) => childSets.every((s) => !s.genes.has(g))
    all.sort((a, b) => Number(own(b)) - Number(own(a)) || (ix.symbols[a] < ix.symbols[b] ? -1 : 1))
    const shown = all.slice(0, maxGenes)
    for (const g of shown) {
      const gid = `gene:${ix.symbols[g]}`
      nodes.push({ id: gid, label: ix.symbols[g], kind: 'gene', role: 'gene' })
      const via = childSets.filter((s) => s.genes.has(g))
      if (via.length === 0) edges.push({ source: pid, target: gid, kind: 'member' })
      for (const s of via) edges.push({ source: ix.pathwayIds[s.c], target: gid, kind: 'member' })
    }
    return { center: pid, nodes, edges, omittedGenes: all.length - shown.length }
  }

  // ── search ───────────────────────────────────────────────────────────────

  /** Autocomplete over gene symbols (with aliases and Ensembl ids) and pathway names and ids. */
  search(query: string, limit = 20): KnowledgeSearchResult {
    const ix = this.idx()
    const q = query.trim()
    const upper = q.toUpperCase()
    const genes: GeneHit[] = []
    const seen = new Set<number>()
    const describe = this.db.prepare('SELECT description FROM genes WHERE idx = ?').pluck()
    const add = (g: number, via: GeneHit['via'], matched: string) => {
      if (seen.has(g) || genes.length >= limit) return
      seen.add(g)
      genes.push({ symbol: ix.symbols[g], via, matched, description: (describe.get(g) as string) ?? '', pathwayCount: ix.net.listing(g).length })
    }
    const r = ix.resolver.resolve(q)
    if (r.kind === 'found') add(r.gene, r.via, q)
    if (r.kind === 'ambiguous') for (const g of r.candidates) add(g, 'alias', q)
    const prefixed: number[] = []
    ix.symbols.forEach((s, g) => {
      if (s.toUpperCase().startsWith(upper)) prefixed.push(g)
    })
    prefixed.sort((a, b) => ix.symbols[a].length - ix.symbols[b].length || (ix.symbols[a] < ix.symbols[b] ? -1 : 1))
    for (const g of prefixed) add(g, 'symbol', ix.symbols[g])

    const lower = q.toLowerCase()
    const hits: { p: number; rank: number }[] = []
    ix.pathwayNames.forEach((name, p) => {
      const n = name.toLowerCase()
      const id = ix.pathwayIds[p].toLowerCase()
      let rank = -1
      if (id === lower) rank = 0
      else if (n.startsWith(lower)) rank = 1
      else if (id.startsWith(lower) && lower.length >= 4) rank = 2
      else if (n.includes(` ${lower}`) || n.includes(`(${lower}`)) rank = 3
      else if (n.includes(lower)) rank = 4
      if (rank >= 0) hits.push({ p, rank })
    })
    hits.sort((a, b) => a.rank - b.rank || ix.net.depth[a.p] - ix.net.depth[b.p] || ix.pathwayNames[a.p].localeCompare(ix.pathwayNames[b.p]))
    const pathways: PathwayHit[] = hits.slice(0, limit).map(({ p }) => ({ id: ix.pathwayIds[p], name: ix.pathwayNames[p], depth: ix.net.depth[p], geneCount: ix.net.allGenes(p).length }))
    return { genes, pathways }
  }

  /**
   * Alias → symbol for every alias naming exactly one gene and not itself a symbol (so
   * `TMEM173` → `STING1`, while an alias shared by two genes is never guessed).
   */
  aliasToSymbol(): Map<string, string> {
    const ix = this.idx()
    const out = new Map<string, string>()
    for (const [alias, genes] of ix.aliases) {
      if (genes.length === 1 && ix.resolver.symbolIndex(alias) === undefined) out.set(alias, ix.symbols[genes[0]])
    }
    return out
  }

  /** Every pathway with the genes of it and its sub-pathways (knowledge gene indices): what enrichment tests. */
  pathwayGeneSets(): { id: string; name: string; depth: number; genes: Int32Array }[] {
    const ix = this.idx()
    return ix.pathwayIds.map((id, p) => ({ id, name: ix.pathwayNames[p], depth: ix.net.depth[p], genes: ix.net.allGenes(p) }))
  }

  /** The symbol of a knowledge gene index. */
  symbolOf(gene: number): string {
    return this.idx().symbols[gene]
  }

  // ── attention mask ───────────────────────────────────────────────────────

  /**
   * Resolves a gene list (symbols, aliases, Ensembl ids) to knowledge-base genes; -1 where
   * unknown or ambiguous. Renamings are reported so the user sees every one.
   */
  resolveGenes(genes: string[]): { geneIndices: Int32Array; renamed: { from: string; to: string }[]; unknown: string[] } {
    const ix = this.idx()
    const geneIndices = new Int32Array(genes.length)
    const renamed: { from: string; to: string }[] = []
    const unknown: string[] = []
    genes.forEach((name, i) => {
      const r = ix.resolver.resolve(name)
      if (r.kind === 'found') {
        geneIndices[i] = r.gene
        if (ix.symbols[r.gene] !== name) renamed.push({ from: name, to: ix.symbols[r.gene] })
      } else {
        geneIndices[i] = -1
        unknown.push(name)
      }
    })
    return { geneIndices, renamed, unknown }
  }

  /** The sparse mask over list positions, for the model (CSR). */
  maskFor(genes: string[], options: MaskOptions = {}): SparseMask & ReturnType<KnowledgeBase['resolveGenes']> {
    const resolved = this.resolveGenes(genes)
    return { ...attentionMask(this.idx().net, resolved.geneIndices, options), ...resolved }
  }

  mask(genes: string[], level: MaskLevelInput = { kind: 'l1' }, includePairs = false): MaskResult {
    const ix = this.idx()
    const m = this.maskFor(genes, { level })
    const pairCount = (m.colIdx.length - m.size) / 2
    return {
      release: this.release,
      level,
      genes,
      symbols: Array.from(m.geneIndices, (g) => (g < 0 ? null : ix.symbols[g])),
      renamed: m.renamed,
      unknown: m.unknown,
      nnz: m.colIdx.length,
      pairCount,
      density: m.density,
      genesWithoutPathway: m.withoutPathway.map((i) => genes[i]),
      ...(includePairs ? { pairs: maskPairs(m) } : {}),
    }
  }
}
