import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { tempFiles } from '../test-support/temp-files'
import { SHARED_DIR } from '../test-support/temp-home'
import { readReactomeGmt, readReactomePathways, readReactomeRelations } from './reactome'

const REACTOME = path.join(SHARED_DIR, 'knowledge', 'reactome')
const PATHWAYS = path.join(REACTOME, 'ReactomePathways.txt')
const RELATIONS = path.join(REACTOME, 'ReactomePathwaysRelation.txt')
const GMT = path.join(REACTOME, 'ReactomePathways.gmt')

const files = tempFiles('ps-reactome-')
const { write } = files
afterEach(() => files.cleanup())

/** A one-entry zip (deflate) written by hand, as Reactome ships `ReactomePathways.gmt.zip`. */
function zipOf(name: string, content: Buffer): Buffer {
  const data = zlib.deflateRawSync(content)
  const nameBuf = Buffer.from(name)
  const local = Buffer.alloc(30)
  local.writeUInt32LE(0x04034b50, 0)
  local.writeUInt16LE(20, 4)
  local.writeUInt16LE(8, 8)
  local.writeUInt32LE(data.length, 18)
  local.writeUInt32LE(content.length, 22)
  local.writeUInt16LE(nameBuf.length, 26)
  const central = Buffer.alloc(46)
  central.writeUInt32LE(0x02014b50, 0)
  central.writeUInt16LE(20, 6)
  central.writeUInt16LE(8, 10)
  central.writeUInt32LE(data.length, 20)
  central.writeUInt32LE(content.length, 24)
  central.writeUInt16LE(nameBuf.length, 28)
  central.writeUInt32LE(0, 42)
  const cdOffset = local.length + nameBuf.length + data.length
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(1, 8)
  end.writeUInt16LE(1, 10)
  end.writeUInt32LE(central.length + nameBuf.length, 12)
  end.writeUInt32LE(cdOffset, 16)
  return Buffer.concat([local, nameBuf, data, central, nameBuf, end])
}

describe('Reactome readers on the shared release', () => {
  it('reads 2,848 human pathways, 2,864 relations and 2,830 gene sets', async () => {
    const { pathways } = await readReactomePathways(PATHWAYS)
    expect(pathways).toHaveLength(2848)
    expect(pathways[0]).toEqual({ id: 'R-HSA-164843', name: '2-LTR circle formation' })
    const known = new Set(pathways.map((p) => p.id))
    const { relations } = await readReactomeRelations(RELATIONS, known)
    expect(relations).toHaveLength(2864)
    const { geneSets } = await readReactomeGmt(GMT, known)
    expect(geneSets).toHaveLength(2830)
    // Viral tokens are kept as listed (reported by the build, not dropped here).
    expect(geneSets.find((s) => s.id === 'R-HSA-164843')!.genes).toEqual(['BANF1', 'HMGA1', 'LIG4', 'PSIP1', 'XRCC4', 'XRCC5', 'XRCC6', 'gag', 'gag-pol', 'rev', 'vif', 'vpr', 'vpu'])
  })

  it('reads the same gene sets from a .gz and from a .zip', async () => {
    const known = new Set((await readReactomePathways(PATHWAYS)).pathways.map((p) => p.id))
    const plain = (await readReactomeGmt(GMT, known)).geneSets
    const raw = fs.readFileSync(GMT)
    const gz = (await readReactomeGmt(write('ReactomePathways.gmt.gz', zlib.gzipSync(raw)), known)).geneSets
    const zip = (await readReactomeGmt(write('ReactomePathways.gmt.zip', zipOf('ReactomePathways.gmt', raw)), known)).geneSets
    expect(gz).toEqual(plain)
    expect(zip).toEqual(plain)
  })

  it('ignores other species’ rows in the all-species files', async () => {
    const file = write('ReactomePathways.txt', 'R-MMU-1\tMouse thing\tMus musculus\nR-HSA-1\tHuman thing\tHomo sapiens\r\nR-HSA-2\tOther\tHomo sapiens\n')
    const r = await readReactomePathways(file)
    expect(r.pathways.map((p) => p.id)).toEqual(['R-HSA-1', 'R-HSA-2'])
    expect(r.otherSpeciesRows).toBe(1)
    const rel = await readReactomeRelations(write('rel.txt', 'R-MMU-1\tR-MMU-2\nR-HSA-1\tR-HSA-2\nR-HSA-1\tR-HSA-2\n'), new Set(['R-HSA-1', 'R-HSA-2']))
    expect(rel).toEqual({ relations: [{ parent: 'R-HSA-1', child: 'R-HSA-2' }], otherSpeciesRows: 1, duplicateRows: 1 })
  })
})

describe('Reactome readers refuse bad input with the file, line and fix', () => {
  it('a GMT whose last line is cut off', async () => {
    const raw = fs.readFileSync(GMT, 'utf8')
    const cut = raw.slice(0, raw.length - 7)
    const known = new Set((await readReactomePathways(PATHWAYS)).pathways.map((p) => p.id))
    const lines = cut.split('\n').length
    await expect(readReactomeGmt(write('ReactomePathways.gmt', cut), known)).rejects.toMatchObject({
      code: 'knowledge.truncated',
      message: expect.stringMatching(new RegExp(`ReactomePathways.gmt ends in the middle of line ${lines}.*Download the file again`)),
    })
  })

  it('a gzipped GMT cut off mid-stream', async () => {
    const gz = zlib.gzipSync(fs.readFileSync(GMT))
    const known = new Set((await readReactomePathways(PATHWAYS)).pathways.map((p) => p.id))
    await expect(readReactomeGmt(write('ReactomePathways.gmt.gz', gz.subarray(0, gz.length >> 1)), known)).rejects.toMatchObject({ code: 'knowledge.truncated' })
  })

  it('a relation file naming ids the pathway list does not have', async () => {
    const file = write('ReactomePathwaysRelation.txt', 'R-HSA-1\tR-HSA-2\nR-HSA-1\tR-HSA-999\n')
    await expect(readReactomeRelations(file, new Set(['R-HSA-1', 'R-HSA-2']))).rejects.toMatchObject({
      code: 'knowledge.unknown-pathway',
      message: expect.stringContaining('ReactomePathwaysRelation.txt line 2: R-HSA-999 is not in the pathway list'),
    })
  })

  it('a file that is not the one expected', async () => {
    await expect(readReactomePathways(GMT)).rejects.toMatchObject({ code: 'knowledge.bad-format', message: expect.stringContaining('ReactomePathways.gmt line 1') })
    await expect(readReactomeRelations(PATHWAYS, new Set())).rejects.toMatchObject({ code: 'knowledge.bad-format' })
    await expect(readReactomePathways(write('empty.txt', ''))).rejects.toMatchObject({ code: 'knowledge.no-human-rows' })
  })
})
