import { z } from 'zod'
import { id, jobId } from '../names'
import { none, returns } from './define'

/**
 * Knowledge channels: Reactome + GO knowledge releases (build, list, choose) and the queries the
 * pathway browser needs (search with autocomplete, tree from the roots with lazy children,
 * pathway details, gene view, neighbourhood graph, attention-mask preview). Every query takes
 * an optional `release`; without it the default release is used.
 */

export type KnowledgeRole = 'pathways' | 'relations' | 'gmt' | 'gene2go' | 'geneInfo'

export interface KnowledgeSourceFile {
  role: KnowledgeRole
  /** file name as found in the knowledge folder */
  file: string
  bytes: number
  sha256: string
}

export interface KnowledgeBuildSummary {
  release: string
  pathways: number
  relations: number
  roots: number
  /** genes (symbols as Reactome lists them) listed by at least one gene set */
  genesWithPathways: number
  /** genes with at least one GO annotation */
  goGenes: number
  /** human gene2go rows used (negative `NOT` rows excluded) */
  goAnnotations: number
  goTerms: number
  /** top-20 GO partner edges stored */
  goEdges: number
  /** human genes in gene_info */
  geneInfoGenes: number
  aliases: number
  /** gene-set tokens that gene_info knows neither as symbol nor as alias (viral, bacterial, newer symbols) */
  unrecognisedTokens: { count: number; examples: string[] }
  warnings: string[]
  sources: KnowledgeSourceFile[]
  builtAt: string
  seconds: number
  /** true when an identical release (same label, same source hashes) already existed and was kept */
  reused: boolean
}

export interface KnowledgeRelease extends KnowledgeBuildSummary {
  isDefault: boolean
  /** the release's SQLite file */
  file: string
}

export interface KnowledgeSourceSlot {
  role: KnowledgeRole
  /** what the user downloads, e.g. `ReactomePathways.gmt` */
  expected: string
  /** the file found in the knowledge folder, or null */
  found: string | null
}

export interface KnowledgeStatus {
  ready: boolean
  defaultRelease: string | null
  releases: KnowledgeRelease[]
  /** the knowledge folder builds read from */
  sourceFolder: string
  sourceFiles: KnowledgeSourceSlot[]
  building: boolean
  /** how to add or update knowledge files, for screens that have none */
  help: string
}

export interface PathwayNode {
  id: string
  name: string
  depth: number
  childCount: number
  /** genes of the pathway and its descendants */
  geneCount: number
}

export interface PathwayDetail {
  id: string
  name: string
  depth: number
  /** parent pathway ids */
  parents: string[]
  /** sub-pathway ids */
  children: string[]
  /** the pathway's own gene set */
  genes: string[]
  /** union of the gene sets of the pathway and all its descendants */
  allGenes: string[]
  /** every ancestor id, top-level first */
  ancestors: string[]
  /** names of the parents, children and ancestors */
  names: Record<string, string>
}

export interface GenePathway {
  id: string
  name: string
  /** distance from a top-level pathway (0 = top-level), minimum over parents */
  depth: number
  /** 1 = lowest pathway listing the gene, 2 = its parent, … */
  level: number
  /** every ancestor id, top-level first */
  ancestors: string[]
}

export interface GoNeighbour {
  gene: string
  jaccard: number
}

export type GeneMatch = 'symbol' | 'case' | 'alias' | 'ensembl'

export interface GeneView {
  query: string
  symbol: string
  /** how the query was resolved (`alias`: TMEM173 → STING1) */
  via: GeneMatch
  geneId: number | null
  description: string
  type: string
  ensembl: string[]
  aliases: string[]
  pathways: GenePathway[]
  /** ids of the gene's L1 pathways */
  l1Pathways: string[]
  /** genes sharing an L1 pathway with it */
  l1Partners: string[]
  goTerms: { id: string; name: string; category: string }[]
  goNeighbours: GoNeighbour[]
}

export interface GeneHit {
  symbol: string
  via: GeneMatch
  /** the alias or Ensembl id that matched, when not the symbol */
  matched: string
  description: string
  pathwayCount: number
}

export interface PathwayHit {
  id: string
  name: string
  depth: number
  geneCount: number
}

export interface KnowledgeSearchResult {
  genes: GeneHit[]
  pathways: PathwayHit[]
}

export interface PathwayGraphNode {
  id: string
  label: string
  kind: 'pathway' | 'gene'
  role: 'center' | 'parent' | 'child' | 'gene'
  /** pathway nodes: genes of the pathway and its descendants */
  geneCount?: number
}

export interface PathwayGraph {
  center: string
  nodes: PathwayGraphNode[]
  edges: { source: string; target: string; kind: 'sub-pathway' | 'member' }[]
  /** member genes left out to keep the graph readable */
  omittedGenes: number
}

export type MaskLevelInput = { kind: 'l1' } | { kind: 'max-genes'; maxGenes: number }

export interface MaskResult {
  release: string
  level: MaskLevelInput
  /** the genes as given, in order; pair indices refer to this list */
  genes: string[]
  /** knowledge-base symbol per gene, null when unknown */
  symbols: (string | null)[]
  renamed: { from: string; to: string }[]
  unknown: string[]
  /** allowed entries, diagonal included (directed) */
  nnz: number
  pairCount: number
  density: number
  genesWithoutPathway: string[]
  /** unordered off-diagonal pairs [i, j], i < j; only with `includePairs` */
  pairs?: [number, number][]
}

export interface ProjectKnowledge {
  projectId: number
  /** the release pinned for the project, or null to follow the default */
  release: string | null
  /** the release the project's queries use now */
  effective: string | null
}

const releaseLabel = z
  .string({ error: 'Release must be text' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'Release must be 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit' })
const release = z.object({ release: releaseLabel.optional() })
const geneName = z.string({ error: 'Gene must be text' }).trim().min(1, { error: 'Gene must not be empty' }).max(100, { error: 'Gene must be at most 100 characters' })
const pathwayId = z.string({ error: 'Pathway id must be text' }).trim().min(1, { error: 'Pathway id must not be empty' }).max(40, { error: 'Pathway id must be at most 40 characters' })
const folder = z.string({ error: 'Folder must be text' }).min(1, { error: 'Folder must not be empty' })
export const maskLevel = z.union([
  z.object({ kind: z.literal('l1') }).strict(),
  z.object({ kind: z.literal('max-genes'), maxGenes: z.number().int().positive({ error: 'maxGenes must be a positive whole number' }) }).strict(),
])

export const knowledgeChannels = {
  'knowledge:status': returns<KnowledgeStatus>()(none),
  'knowledge:list': returns<KnowledgeRelease[]>()(none),
  /**
   * Builds a release from the knowledge folder (default: the configured one). Emits `job:progress`
   * (kind `knowledge-build`, with `jobId` when given); `knowledge:cancel-build` stops it.
   */
  'knowledge:build': returns<KnowledgeBuildSummary>()(
    z
      .object({
        folder: folder.optional(),
        release: releaseLabel.optional(),
        force: z.boolean().optional(),
        setDefault: z.boolean().optional(),
        jobId: jobId.optional(),
      })
      .strict(),
  ),
  /** Builds from the knowledge folder only when no release exists yet. */
  'knowledge:ensure': returns<KnowledgeStatus>()(z.object({ folder: folder.optional() }).strict()),
  'knowledge:cancel-build': returns<{ cancelled: boolean }>()(none),
  'knowledge:set-default': returns<KnowledgeStatus>()(z.object({ release: releaseLabel }).strict()),
  'knowledge:delete': returns<{ deleted: string }>()(z.object({ release: releaseLabel }).strict()),
  'knowledge:project-release': returns<ProjectKnowledge>()(z.object({ projectId: id('Project id') }).strict()),
  'knowledge:set-project-release': returns<ProjectKnowledge>()(z.object({ projectId: id('Project id'), release: releaseLabel.nullable() }).strict()),

  'knowledge:search': returns<KnowledgeSearchResult>()(
    release.extend({ query: z.string({ error: 'Query must be text' }).trim().min(1, { error: 'Query must not be empty' }).max(200), limit: z.number().int().min(1).max(200).optional() }).strict(),
  ),
  'knowledge:roots': returns<PathwayNode[]>()(release.strict()),
  'knowledge:children': returns<PathwayNode[]>()(release.extend({ id: pathwayId }).strict()),
  'knowledge:pathway': returns<PathwayDetail>()(release.extend({ id: pathwayId }).strict()),
  'knowledge:neighbourhood': returns<PathwayGraph>()(release.extend({ id: pathwayId, maxGenes: z.number().int().min(0).max(2000).optional() }).strict()),
  'knowledge:gene': returns<GeneView>()(release.extend({ gene: geneName }).strict()),
  'knowledge:gene-pathways': returns<GenePathway[]>()(release.extend({ gene: geneName }).strict()),
  'knowledge:go-neighbours': returns<GoNeighbour[]>()(release.extend({ gene: geneName, limit: z.number().int().min(1).max(20).optional() }).strict()),
  /** The attention mask for a gene list (a dataset's genes). Pairs only with `includePairs`: a preview needs the counts. */
  'knowledge:mask': returns<MaskResult>()(
    release
      .extend({
        genes: z.array(geneName).min(1, { error: 'Give at least one gene' }).max(50_000),
        level: maskLevel.optional(),
        includePairs: z.boolean().optional(),
      })
      .strict(),
  ),
} as const
