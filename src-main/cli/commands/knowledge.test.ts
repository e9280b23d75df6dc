import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawReactome } from '../../test-support/reactome'
import { SHARED_DIR, tempHome } from '../../test-support/temp-home'
import { oneJson, runCliCaptured } from '../../test-support/cli'

const KNOWLEDGE = path.join(SHARED_DIR, 'knowledge')
let home: ReturnType<typeof tempHome>
let built: Record<string, unknown>

const cli = runCliCaptured

async function json<T = unknown>(args: string[], home_ = home.dir): Promise<T> {
  const r = await cli(['--home', home_, ...args, '--json'])
  expect(r.code, r.stdout + r.stderr).toBe(0)
  return oneJson<T>(r.stdout)
}

beforeAll(async () => {
  delete process.env.PERTURB_STUDIO_KNOWLEDGE
  home = tempHome('ps-cli-knowledge-')
  built = await json(['knowledge', 'build', '--knowledge', KNOWLEDGE])
}, 120_000)

afterAll(() => home?.cleanup())

describe('perturb-studio knowledge commands', () => {
  it('knowledge build --json reports the release and its counts', () => {
    expect(built).toMatchObject({ pathways: 2848, relations: 2864, genesWithPathways: 11939, goAnnotations: 348116 })
    expect(Object.keys(built)).toEqual(expect.arrayContaining(['release', 'pathways', 'relations', 'genesWithPathways', 'goGenes', 'goAnnotations']))
  })

  it('knowledge list shows the release as the default', async () => {
    const list = await json<{ release: string; isDefault: boolean }[]>(['knowledge', 'list'])
    expect(list.map((r) => [r.release, r.isDefault])).toEqual([[built.release, true]])
  })

  it('pathways --gene STAT1 = the pathways listing STAT1 plus all their ancestors, with depths and levels', async () => {
    const got = await json<{ id: string; name: string; depth: number; level: number; ancestors: string[] }[]>(['pathways', '--gene', 'STAT1'])
    const expected = rawReactome().pathwaysOf('STAT1').list
    expect(got.map((p) => ({ ...p, ancestors: [...p.ancestors].sort() })).map(({ name: _name, ...rest }) => rest).sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual(
      expected.sort((a, b) => (a.id < b.id ? -1 : 1)),
    )
    expect(Object.keys(got[0]).sort()).toEqual(['ancestors', 'depth', 'id', 'level', 'name'])
    // Ancestors come top-level first.
    for (const p of got) if (p.ancestors.length) expect(got.find((q) => q.id === p.ancestors[0])?.depth ?? 0).toBe(0)
  })

  it('pathway of a top-level pathway returns the union of its descendants’ genes', async () => {
    const raw = rawReactome()
    const p = await json<{ id: string; parents: string[]; children: string[]; genes: string[]; allGenes: string[] }>(['pathway', 'R-HSA-1643685']) // Disease
    const union = new Set(raw.sets.get('R-HSA-1643685'))
    for (const d of raw.descendants('R-HSA-1643685')) for (const g of raw.sets.get(d)!) union.add(g)
    expect(p.allGenes).toEqual([...union].sort())
    expect(p.parents).toEqual([])
    expect(p.children.sort()).toEqual(raw.childrenOf.get('R-HSA-1643685')!.sort())
  })

  it('go-neighbours agrees with an independent Jaccard on the same files', async () => {
    const got = await json<{ gene: string; jaccard: number }[]>(['go-neighbours', 'IRF1'])
    const info = zlib.gunzipSync(fs.readFileSync(path.join(KNOWLEDGE, 'go', 'Homo_sapiens.gene_info.gz'))).toString('utf8')
    const symbolOf = new Map(info.split('\n').slice(1).map((l) => l.split('\t')).map((f) => [f[1], f[2]]))
    const terms = new Map<string, Set<string>>()
    for (const l of zlib.gunzipSync(fs.readFileSync(path.join(KNOWLEDGE, 'go', 'gene2go_human.gz'))).toString('utf8').split('\n').slice(1)) {
      const [, geneId, go] = l.split('\t')
      if (!go) continue
      const s = symbolOf.get(geneId)!
      terms.set(s, (terms.get(s) ?? new Set()).add(go))
    }
    const a = terms.get('IRF1')!
    const scores = [...terms]
      .filter(([s]) => s !== 'IRF1')
      .map(([s, b]) => {
        const inter = [...a].filter((t) => b.has(t)).length
        return { gene: s, jaccard: inter / (a.size + b.size - inter) }
      })
      .sort((x, y) => y.jaccard - x.jaccard || (x.gene < y.gene ? -1 : 1))
    expect(got).toHaveLength(20)
    expect(got).toEqual(scores.slice(0, 20))
  })

  it('mask --genes lists pairs, density and genes without pathway, resolving aliases', async () => {
    const m = await json<{ genes: string[]; pairs: [number, number][]; density: number; genesWithoutPathway: string[]; renamed: { from: string; to: string }[] }>(['mask', '--genes', 'STAT1,STAT2,TMEM173,NOTAGENE'])
    expect(m.genes).toEqual(['STAT1', 'STAT2', 'TMEM173', 'NOTAGENE'])
    expect(m.renamed).toEqual([{ from: 'TMEM173', to: 'STING1' }])
    expect(m.genesWithoutPathway).toEqual(['NOTAGENE'])
    expect(m.pairs).toContainEqual([0, 1])
    expect(m.density).toBeCloseTo((4 + 2 * m.pairs.length) / 16, 12)
  })

  it.each([
    [['pathways', '--gene', 'STAT1X'], 'knowledge.unknown-gene', /No gene "STAT1X".*Closest symbols: STAT1/],
    [['go-neighbours', 'NOTAGENE'], 'knowledge.unknown-gene', /No gene "NOTAGENE"/],
    [['pathway', 'R-HSA-0'], 'knowledge.unknown-pathway', /No pathway "R-HSA-0"/],
    [['mask', '--dataset', '1'], 'dataset.not-found', /No dataset with id 1/],
    [['mask', '--dataset', 'abc'], 'cli.invalid-option', /--dataset takes a dataset id/],
    [['knowledge', 'build', '--knowledge', path.join(SHARED_DIR, 'nope')], 'knowledge.no-files', /does not exist/],
  ])('%j fails with %s', async (args, code, message) => {
    const r = await cli(['--home', home.dir, '--json', ...args])
    expect(r.code).toBe(1)
    const doc = oneJson<{ error: { code: string; message: string } }>(r.stdout)
    expect(doc.error.code).toBe(code)
    expect(doc.error.message).toMatch(message)
  })
})

describe('without a knowledge base', () => {
  it('says exactly how to provide the files when the knowledge folder is empty', async () => {
    const fresh = tempHome('ps-cli-noknowledge-')
    try {
      const r = await cli(['--home', fresh.dir, '--json', 'pathways', '--gene', 'STAT1'])
      expect(r.code).toBe(1)
      const doc = oneJson<{ error: { code: string; message: string } }>(r.stdout)
      expect(doc.error.code).toBe('knowledge.missing')
      expect(doc.error.message).toContain(path.join(fresh.dir, 'knowledge-sources'))
      for (const f of ['ReactomePathways.txt', 'ReactomePathwaysRelation.txt', 'ReactomePathways.gmt', 'gene2go.gz', 'Homo_sapiens.gene_info.gz', 'https://reactome.org', 'https://ftp.ncbi.nlm.nih.gov']) expect(doc.error.message).toContain(f)
      // The rest of the app still works.
      expect((await cli(['--home', fresh.dir, '--json', 'project', 'list'])).code).toBe(0)
    } finally {
      fresh.cleanup()
    }
  })

  it('builds one from the knowledge folder ($PERTURB_STUDIO_KNOWLEDGE) on first use', async () => {
    const fresh = tempHome('ps-cli-autobuild-')
    const folder = path.join(fresh.dir, 'reactome-files')
    fs.mkdirSync(folder)
    for (const f of ['ReactomePathways.txt', 'ReactomePathwaysRelation.txt', 'ReactomePathways.gmt']) fs.copyFileSync(path.join(KNOWLEDGE, 'reactome', f), path.join(folder, f))
    process.env.PERTURB_STUDIO_KNOWLEDGE = folder
    try {
      const r = await cli(['--home', fresh.dir, '--json', 'pathways', '--gene', 'STAT1'])
      expect(r.code, r.stdout).toBe(0)
      expect(oneJson<unknown[]>(r.stdout).length).toBeGreaterThan(70)
      expect(r.stderr).toMatch(/No knowledge base yet: building one from/)
    } finally {
      delete process.env.PERTURB_STUDIO_KNOWLEDGE
      fresh.cleanup()
    }
  })
})
