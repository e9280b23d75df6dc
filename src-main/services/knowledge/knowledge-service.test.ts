import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../db/database'
import { SHARED_DIR, tempHome } from '../../test-support/temp-home'
import { KnowledgeService } from './knowledge-service'
import { rawReactome } from '../../test-support/reactome'

const KNOWLEDGE = path.join(SHARED_DIR, 'knowledge')
const FILES = {
  pathways: path.join(KNOWLEDGE, 'reactome', 'ReactomePathways.txt'),
  relations: path.join(KNOWLEDGE, 'reactome', 'ReactomePathwaysRelation.txt'),
  gmt: path.join(KNOWLEDGE, 'reactome', 'ReactomePathways.gmt'),
  gene2go: path.join(KNOWLEDGE, 'go', 'gene2go_human.gz'),
  geneInfo: path.join(KNOWLEDGE, 'go', 'Homo_sapiens.gene_info.gz'),
}

let home: ReturnType<typeof tempHome>
let db: Db
let service: KnowledgeService
let first: Awaited<ReturnType<KnowledgeService['build']>>
const progress: number[] = []

/** A flat copy of the shared knowledge files, one of them replaced. */
function folderWith(name: string, replace: Partial<Record<keyof typeof FILES, string | Buffer | null>> = {}): string {
  const dir = path.join(home.dir, name)
  fs.mkdirSync(dir, { recursive: true })
  for (const [role, file] of Object.entries(FILES) as [keyof typeof FILES, string][]) {
    const content = role in replace ? replace[role] : fs.readFileSync(file)
    if (content !== null && content !== undefined) fs.writeFileSync(path.join(dir, path.basename(file)), content)
  }
  return dir
}

beforeAll(async () => {
  home = tempHome('ps-knowledge-')
  db = openDatabase(path.join(home.dir, 'perturb-studio.sqlite'))
  service = new KnowledgeService({ dir: path.join(home.dir, 'knowledge'), sourceFolder: path.join(home.dir, 'knowledge-sources'), settings: db, onProgress: (p) => progress.push(p.fraction) })
  first = await service.build({ folder: KNOWLEDGE })
}, 120_000)

afterAll(() => {
  service?.close()
  db?.close()
  home?.cleanup()
})

describe('building a knowledge release from the shared files', () => {
  it('records the counts, the source files and a label derived from their hashes', () => {
    expect(first).toMatchObject({ pathways: 2848, relations: 2864, roots: 29, genesWithPathways: 11939, goAnnotations: 348116, reused: false })
    expect(first.goGenes).toBeGreaterThan(20000)
    expect(first.release).toMatch(/^kb-[0-9a-f]{10}$/)
    expect(first.sources.map((s) => [s.role, s.file, s.bytes])).toEqual([
      ['pathways', 'reactome/ReactomePathways.txt', fs.statSync(FILES.pathways).size],
      ['relations', 'reactome/ReactomePathwaysRelation.txt', fs.statSync(FILES.relations).size],
      ['gmt', 'reactome/ReactomePathways.gmt', fs.statSync(FILES.gmt).size],
      ['gene2go', 'go/gene2go_human.gz', fs.statSync(FILES.gene2go).size],
      ['geneInfo', 'go/Homo_sapiens.gene_info.gz', fs.statSync(FILES.geneInfo).size],
    ])
    expect(first.sources.every((s) => /^[0-9a-f]{64}$/.test(s.sha256))).toBe(true)
    expect(first.unrecognisedTokens.examples).toEqual(expect.arrayContaining(['16S rRNA']))
    expect(first.warnings.join('\n')).toMatch(/not human gene symbols/)
    expect(progress[0]).toBe(0)
    expect(progress.at(-1)).toBe(1)
    expect(fs.readdirSync(path.join(home.dir, 'knowledge')).sort()).toEqual([`${first.release}.sqlite`, 'registry.json'])
  })

  it('reuses an identical release instead of rebuilding it', async () => {
    const again = await service.build({ folder: KNOWLEDGE })
    expect(again).toMatchObject({ release: first.release, reused: true, builtAt: first.builtAt })
    await expect(service.build({ folder: folderWith('same-label-other-files', { gmt: fs.readFileSync(FILES.gmt, 'utf8').replace(/\n[^\n]*\n$/, '\n') }), release: first.release })).rejects.toMatchObject({
      code: 'knowledge.release-exists',
    })
  })

  it('keeps several releases, one default, and a per-project choice', async () => {
    const reactomeOnly = folderWith('reactome-only', { gene2go: null, geneInfo: null })
    const second = await service.build({ folder: reactomeOnly, release: 'reactome-only', setDefault: false })
    expect(second).toMatchObject({ release: 'reactome-only', pathways: 2848, goGenes: 0 })
    expect(service.status()).toMatchObject({ ready: true, defaultRelease: first.release })
    expect(service.list().map((r) => [r.release, r.isDefault]).sort()).toEqual([[first.release, true], ['reactome-only', false]].sort())

    expect(service.projectRelease(1)).toEqual({ projectId: 1, release: null, effective: first.release })
    expect(service.setProjectRelease(1, 'reactome-only')).toEqual({ projectId: 1, release: 'reactome-only', effective: 'reactome-only' })
    expect(() => service.setProjectRelease(1, 'nope')).toThrow(expect.objectContaining({ code: 'knowledge.unknown-release' }))
    expect(service.setProjectRelease(1, null).effective).toBe(first.release)

    expect(service.setDefault('reactome-only').defaultRelease).toBe('reactome-only')
    expect(service.setDefault(first.release).defaultRelease).toBe(first.release)
    expect(service.delete('reactome-only')).toEqual({ deleted: 'reactome-only' })
    expect(service.list()).toHaveLength(1)
  })
})

describe('bad input leaves the previous knowledge base in use', () => {
  const gmt = () => fs.readFileSync(FILES.gmt, 'utf8')
  const gene2go = () => zlib.gunzipSync(fs.readFileSync(FILES.gene2go)).toString('utf8')
  const cases: [string, () => string, string, RegExp][] = [
    ['a GMT with a truncated last line', () => folderWith('truncated-gmt', { gmt: gmt().slice(0, -25) }), 'knowledge.truncated', /ReactomePathways\.gmt ends in the middle of line 2830/],
    [
      'a relation file naming unknown ids',
      () => folderWith('unknown-ids', { relations: `${fs.readFileSync(FILES.relations, 'utf8')}R-HSA-109581\tR-HSA-0000001\n` }),
      'knowledge.unknown-pathway',
      /ReactomePathwaysRelation\.txt line 2865: R-HSA-0000001 is not in the pathway list/,
    ],
    [
      'a gene2go of the wrong species',
      () => folderWith('mouse-go', { gene2go: zlib.gzipSync(gene2go().replace(/^9606\t/gm, '10090\t')) }),
      'knowledge.wrong-species',
      /gene2go_human\.gz has no human \(tax_id 9606\) rows; it holds tax_id 10090/,
    ],
    [
      'a gene2go with a missing column',
      () => folderWith('no-go-id', { gene2go: zlib.gzipSync(gene2go().replace(/^#tax_id\tGeneID\tGO_ID\t/, '#tax_id\tGeneID\tGO\t')) }),
      'knowledge.missing-column',
      /gene2go_human\.gz has no "GO_ID" column/,
    ],
    ['an empty folder', () => folderWith('empty', { pathways: null, relations: null, gmt: null, gene2go: null, geneInfo: null }), 'knowledge.no-files', /holds none of the knowledge files[\s\S]*ReactomePathways\.gmt[\s\S]*gene2go\.gz/],
    ['a folder missing one Reactome file', () => folderWith('no-relations', { relations: null }), 'knowledge.missing-file', /not ReactomePathwaysRelation\.txt/],
  ]

  it('a build cancelled half-way (and a second build while one runs)', async () => {
    const running = service.build({ folder: KNOWLEDGE, release: 'cancelled' })
    await expect(service.build({ folder: KNOWLEDGE, release: 'other' })).rejects.toMatchObject({ code: 'knowledge.busy' })
    setTimeout(() => service.cancelBuild(), 300)
    await expect(running).rejects.toMatchObject({ code: 'knowledge.cancelled', message: expect.stringContaining('previous knowledge base is still in use') })
    expect(service.cancelBuild()).toEqual({ cancelled: false })
    expect(fs.readdirSync(path.join(home.dir, 'knowledge')).sort()).toEqual([`${first.release}.sqlite`, 'registry.json'])
  })

  it.each(cases)('%s', async (_label, make, code, message) => {
    const before = service.list()
    await expect(service.build({ folder: make(), release: 'broken' })).rejects.toMatchObject({ code, message: expect.stringMatching(message) })
    expect(service.list()).toEqual(before)
    expect(service.status().defaultRelease).toBe(first.release)
    // Nothing half-written next to the releases.
    expect(fs.readdirSync(path.join(home.dir, 'knowledge')).sort()).toEqual([`${first.release}.sqlite`, 'registry.json'])
    expect((await service.base()).genePathways('STAT1').length).toBeGreaterThan(70)
  })
})

describe('queries on the built release', () => {
  it('resolves aliases and Ensembl ids, and suggests the closest symbols for an unknown gene', async () => {
    const kb = await service.base()
    expect(kb.gene('TMEM173')).toMatchObject({ query: 'TMEM173', symbol: 'STING1', via: 'alias' })
    expect(kb.gene('ENSG00000115415.12')).toMatchObject({ symbol: 'STAT1', via: 'ensembl' })
    expect(kb.gene('stat1')).toMatchObject({ symbol: 'STAT1', via: 'case' })
    expect(() => kb.genePathways('STAT1X')).toThrow(expect.objectContaining({ code: 'knowledge.unknown-gene', message: expect.stringMatching(/No gene "STAT1X".*Closest symbols: STAT1\b/) }))
  })

  it('gives a top-level pathway the union of its descendants’ genes, and its sub-pathways', async () => {
    const kb = await service.base()
    const raw = rawReactome()
    const p = kb.pathway('R-HSA-168256')
    const union = new Set(raw.sets.get('R-HSA-168256'))
    for (const d of raw.descendants('R-HSA-168256')) for (const g of raw.sets.get(d)!) union.add(g)
    expect(p).toMatchObject({ id: 'R-HSA-168256', name: 'Immune System', depth: 0, parents: [], ancestors: [] })
    expect(p.allGenes).toEqual([...union].sort())
    expect(p.children.sort()).toEqual(raw.childrenOf.get('R-HSA-168256')!.sort())
    expect(p.names[p.children[0]]).toBeTruthy()
    expect(() => kb.pathway('R-HSA-0')).toThrow(expect.objectContaining({ code: 'knowledge.unknown-pathway' }))
  })

  it('serves the browser: roots, lazy children, search, gene view and neighbourhood graph', async () => {
    const kb = await service.base()
    const roots = kb.roots()
    expect(roots).toHaveLength(29)
    expect(roots.find((r) => r.id === 'R-HSA-168256')).toMatchObject({ name: 'Immune System', childCount: 3 })
    expect(kb.children('R-HSA-168256').map((c) => c.name)).toEqual(['Adaptive Immune System', 'Cytokine Signaling in Immune system', 'Innate Immune System'])
    const s = kb.search('STAT', 5)
    expect(s.genes.map((g) => g.symbol)).toContain('STAT1')
    expect(s.pathways[0].name.startsWith('STAT')).toBe(true)
    expect(kb.search('interferon gamma').pathways.map((p) => p.name)).toContain('Interferon gamma signaling')
    const view = kb.gene('STAT1')
    expect(view.pathways.length).toBe(kb.genePathways('STAT1').length)
    expect(view.goNeighbours).toHaveLength(20)
    expect(view.l1Partners).toContain('STAT2')
    const graph = kb.neighbourhood('R-HSA-877300', 10) // Interferon gamma signaling
    expect(graph.nodes[0]).toMatchObject({ id: 'R-HSA-877300', role: 'center' })
    expect(graph.nodes.filter((n) => n.kind === 'gene')).toHaveLength(10)
    expect(graph.omittedGenes).toBe(kb.pathway('R-HSA-877300').allGenes.length - 10)
    for (const e of graph.edges) expect(graph.nodes.some((n) => n.id === e.source) && graph.nodes.some((n) => n.id === e.target)).toBe(true)
  })

  it('builds once for queries that arrive together before any release exists', async () => {
    const lonely = new KnowledgeService({ dir: path.join(home.dir, 'auto', 'knowledge'), sourceFolder: folderWith('auto-src', { gene2go: null, geneInfo: null }) })
    try {
      const [a, b] = await Promise.all([lonely.base(), lonely.base()])
      expect(a).toBe(b)
      expect(lonely.list()).toHaveLength(1)
    } finally {
      lonely.close()
    }
  })

  it('offers the unambiguous aliases for renaming dataset genes', async () => {
    const aliases = (await service.aliases())!
    expect(aliases.get('TMEM173')).toBe('STING1')
    expect(aliases.has('STAT1')).toBe(false) // a symbol, not renamed
    expect(aliases.has('STAT')).toBe(true) // one gene only (SOAT1)
    const empty = new KnowledgeService({ dir: path.join(home.dir, 'no-releases'), sourceFolder: path.join(home.dir, 'none') })
    expect(await empty.aliases()).toBeUndefined()
  })
})
