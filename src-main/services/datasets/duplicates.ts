/**
 * Telling the user that data is already in the project: a content hash of the source files and,
 * for sources that moved or were re-exported, the same source path with the same shape.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { DatasetDuplicate, DatasetSummary } from '../../../src-shared/contract'

/** The files of a 10x folder that make its content (other files in the folder do not count). */
const TENX_FILE = /^(.*[_.-])?(matrix\.mtx|features\.tsv|genes\.tsv|barcodes\.tsv)(\.gz)?$/i

async function hashFile(hash: crypto.Hash, file: string): Promise<void> {
  await pipeline(fs.createReadStream(file), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) hash.update(chunk)
  })
}

/**
 * SHA-256 of what an import reads: the file, or a 10x folder's matrix, features and barcodes
 * (by name, in name order), plus the cell-metadata file when one is given. Names are not hashed,
 * so the same file uploaded twice (a new upload folder each time) hashes the same.
 */
export async function contentHash(source: string, metadata?: string): Promise<string> {
  const hash = crypto.createHash('sha256')
  const stat = fs.statSync(source)
  if (stat.isDirectory()) {
    const files = fs
      .readdirSync(source)
      .filter((n) => TENX_FILE.test(n))
      .sort()
    for (const f of files) await hashFile(hash, path.join(source, f))
  } else await hashFile(hash, source)
  if (metadata) {
    hash.update('\u0000metadata\u0000')
    await hashFile(hash, metadata)
  }
  return hash.digest('hex')
}

/** Datasets of the project that hold the same data: same content hash, or same source path and shape. */
export function findDuplicates(
  existing: readonly DatasetSummary[],
  candidate: { contentHash?: string; sourcePath: string; cells: number; genes: number },
): DatasetDuplicate[] {
  const source = path.resolve(candidate.sourcePath)
  const out: DatasetDuplicate[] = []
  for (const d of existing) {
    if (candidate.contentHash && d.contentHash === candidate.contentHash) out.push({ datasetId: d.datasetId, name: d.name, reason: 'same-content' })
    // The stored dataset may leave out unmapped cells and empty genes: at most the source's shape.
    else if (d.sourcePath && path.resolve(d.sourcePath) === source && d.genes <= candidate.genes && d.cells <= candidate.cells) {
      out.push({ datasetId: d.datasetId, name: d.name, reason: 'same-source' })
    }
  }
  return out
}

/** One sentence for the import's warnings, naming the datasets already holding the data. */
export function duplicateWarning(duplicates: readonly DatasetDuplicate[]): string | null {
  if (!duplicates.length) return null
  const names = duplicates.map((d) => `“${d.name}”`).join(', ')
  const how = duplicates.every((d) => d.reason === 'same-content') ? 'the same files' : 'the same source with the same cells and genes'
  return `This project already has ${names}, imported from ${how}. Delete the copy you do not need, or keep both if you mapped conditions differently.`
}
