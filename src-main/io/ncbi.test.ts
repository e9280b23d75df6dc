import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { SHARED_DIR, tempHome } from '../test-support/temp-home'
import { readGene2Go, readGeneInfo } from './ncbi'

const GO = path.join(SHARED_DIR, 'knowledge', 'go')
const GENE2GO = path.join(GO, 'gene2go_human.gz')
const GENE_INFO = path.join(GO, 'Homo_sapiens.gene_info.gz')
const HEADER = '#tax_id\tGeneID\tGO_ID\tEvidence\tQualifier\tGO_term\tPubMed\tCategory'

let tmp: ReturnType<typeof tempHome> | undefined
afterEach(() => {
  tmp?.cleanup()
  tmp = undefined
})

function write(name: string, content: string | Buffer): string {
  tmp ??= tempHome('ps-ncbi-')
  const file = path.join(tmp.dir, name)
  fs.writeFileSync(file, content)
  return file
}

describe('NCBI readers on the shared files', () => {
  it('reads every human gene2go row', async () => {
    const r = await readGene2Go(GENE2GO)
    // Counted independently: every line but the header.
    const lines = zlib.gunzipSync(fs.readFileSync(GENE2GO)).toString('utf8').trimEnd().split('\n').length - 1
    expect(lines).toBe(348116)
    expect(r.humanRows).toBe(lines)
    expect(r.annotations).toHaveLength(lines)
    expect(r.annotations[0]).toEqual({ geneId: 1, goId: 'GO:0003674', category: 'Function', term: 'molecular_function' })
  })

  it('reads gene_info symbols, aliases and Ensembl ids', async () => {
    const { genes } = await readGeneInfo(GENE_INFO)
    expect(genes.length).toBeGreaterThan(77000)
    const sting = genes.find((g) => g.symbol === 'STING1')!
    expect(sting.synonyms).toContain('TMEM173')
    expect(sting.ensembl).toEqual(['ENSG00000184584', 'ENSG00000288243'])
    expect(genes.find((g) => g.symbol === 'STAT1')).toMatchObject({ geneId: 6772, description: 'signal transducer and activator of transcription 1' })
  })

  it('keeps only human rows of an all-species file and skips NOT annotations', async () => {
    const file = write(
      'gene2go',
      [HEADER, '10090\t11287\tGO:0000001\tIEA\t-\tx\t-\tProcess', '9606\t1\tGO:0000002\tIEA\t-\ty\t-\tProcess', '9606\t1\tGO:0000003\tIEA\tNOT enables\tz\t-\tFunction', ''].join('\n'),
    )
    const r = await readGene2Go(file)
    expect(r.annotations.map((a) => a.goId)).toEqual(['GO:0000002'])
    expect(r).toMatchObject({ humanRows: 2, negativeRows: 1, otherSpeciesRows: 1 })
  })
})

describe('NCBI readers refuse bad input', () => {
  it('a gene2go of another species only', async () => {
    const file = write('gene2go.gz', zlib.gzipSync([HEADER, '10090\t11287\tGO:0000001\tIEA\t-\tx\t-\tProcess', '10090\t11288\tGO:0000002\tIEA\t-\tx\t-\tProcess', ''].join('\n')))
    await expect(readGene2Go(file)).rejects.toMatchObject({ code: 'knowledge.wrong-species', message: expect.stringContaining('gene2go.gz has no human (tax_id 9606) rows; it holds tax_id 10090 (2 rows)') })
  })

  it('a gene2go without its GO_ID column', async () => {
    const file = write('gene2go', ['#tax_id\tGeneID\tEvidence\tCategory', '9606\t1\tIEA\tProcess', ''].join('\n'))
    await expect(readGene2Go(file)).rejects.toMatchObject({ code: 'knowledge.missing-column', message: expect.stringContaining('gene2go has no "GO_ID" column') })
  })

  it('a gene2go without a header, or with a short row', async () => {
    await expect(readGene2Go(write('gene2go', '9606\t1\tGO:0000001\n'))).rejects.toMatchObject({ code: 'knowledge.missing-column' })
    await expect(readGene2Go(write('gene2go', `${HEADER}\n9606\t1\tGO:0000001\tIEA\n`))).rejects.toMatchObject({ code: 'knowledge.bad-format', message: expect.stringContaining('line 2: 4 tab-separated fields where the header has 8') })
  })

  it('a gene_info without Synonyms, or of another species', async () => {
    await expect(readGeneInfo(write('gene_info', '#tax_id\tGeneID\tSymbol\n9606\t1\tA1BG\n'))).rejects.toMatchObject({ code: 'knowledge.missing-column', message: expect.stringContaining('"Synonyms"') })
    await expect(readGeneInfo(write('gene_info', '#tax_id\tGeneID\tSymbol\tSynonyms\n10090\t1\tA\t-\n'))).rejects.toMatchObject({ code: 'knowledge.wrong-species' })
  })
})
