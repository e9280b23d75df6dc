/**
 * Where users download the knowledge files the app reads (shared/README.md "knowledge/"): one
 * table for the setup screen, the README and the CLI's messages.
 */
import type { KnowledgeRole } from '../contract/channels/knowledge'

export interface KnowledgeDownload {
  from: 'Reactome' | 'NCBI Gene'
  /** what the file holds, in a few words */
  what: string
  url: string
}

export const KNOWLEDGE_DOWNLOADS: Record<KnowledgeRole, KnowledgeDownload> = {
  pathways: { from: 'Reactome', what: 'pathway ids and names', url: 'https://reactome.org/download/current/ReactomePathways.txt' },
  relations: { from: 'Reactome', what: 'which pathway contains which', url: 'https://reactome.org/download/current/ReactomePathwaysRelation.txt' },
  gmt: { from: 'Reactome', what: 'genes of each pathway (.gmt or .gmt.zip)', url: 'https://reactome.org/download/current/ReactomePathways.gmt.zip' },
  gene2go: { from: 'NCBI Gene', what: 'GO annotations (gzipped is fine)', url: 'https://ftp.ncbi.nlm.nih.gov/gene/DATA/gene2go.gz' },
  geneInfo: { from: 'NCBI Gene', what: 'symbols and aliases (gzipped is fine)', url: 'https://ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz' },
}

/** The download pages, for when a direct link moves. */
export const KNOWLEDGE_PAGES = {
  reactome: 'https://reactome.org/download-data',
  ncbiGene: 'https://ftp.ncbi.nlm.nih.gov/gene/DATA/',
} as const
