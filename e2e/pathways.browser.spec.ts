import fs from 'node:fs'
import path from 'node:path'
import { csvWithProvenance, expect, SHARED, test } from './fixtures'

/** RFC 4180 fields of one CSV line (quotes, doubled quotes, commas inside quotes). */
function csvFields(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"'
        i++
      } else if (c === '"') quoted = false
      else cur += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      out.push(cur)
      cur = ''
    } else cur += c
  }
  out.push(cur)
  return out
}

test('before a knowledge base is built the screen names the files and the folder; once built, STAT1 leads to a pathway whose genes export as CSV and graph as PNG', async ({ page, studio }) => {
  await page.getByTestId('nav-pathways').click()

  // No release yet: the panel names the folder the app reads and the five files, all present in ../shared/knowledge.
  const missing = page.getByTestId('knowledge-missing')
  await expect(missing).toBeVisible()
  await expect(page.getByTestId('knowledge-folder')).toHaveText(path.join(SHARED, 'knowledge'))
  await expect(page.getByTestId('knowledge-files')).toContainText('ReactomePathways.gmt')
  await expect(page.getByTestId('knowledge-files')).toContainText('gene2go')
  await expect(missing.getByRole('link', { name: 'reactome.org/download-data' })).toHaveAttribute('href', 'https://reactome.org/download-data')
  await page.getByTestId('knowledge-build').click()
  await expect(page.getByTestId('pathway-search')).toBeVisible({ timeout: 90_000 })

  // The hierarchy starts from the 29 top-level pathways.
  await expect(page.getByTestId('pathway-tree').locator(':scope > li')).toHaveCount(29)

  await page.getByTestId('pathway-search').fill('STAT1')
  await page.getByTestId('search-gene-STAT1').click()
  const gene = page.getByTestId('gene-view')
  await expect(page.getByTestId('gene-symbol')).toContainText('STAT1')
  // Pathways by level, L1 first.
  await expect(page.getByTestId('gene-pathways').locator('tbody tr').first()).toHaveAttribute('data-level', '1')
  await expect(gene.getByRole('img', { name: /GO neighbours of STAT1/ })).toBeVisible()

  await page.getByTestId('gene-pathway-R-HSA-877300').click()
  const details = page.getByTestId('pathway-details')
  await expect(details).toHaveAttribute('data-pathway-id', 'R-HSA-877300')
  await expect(page.getByTestId('pathway-name')).toHaveText('Interferon gamma signaling')
  const expected = studio.cli(['pathway', 'R-HSA-877300']) as { allGenes: string[] }

  // The CSV starts with its header (Excel and Prism open it as it is); its provenance is a second download.
  const [csvDownload, provenanceDownload] = await csvWithProvenance(page, () => page.getByTestId('export-csv').click())
  expect(csvDownload.suggestedFilename()).toMatch(/\.csv$/)
  expect(provenanceDownload.suggestedFilename()).toBe(csvDownload.suggestedFilename().replace(/\.csv$/, '.provenance.txt'))
  const provenance = fs.readFileSync((await provenanceDownload.path())!, 'utf8')
  expect(provenance).toMatch(/Perturb Studio \d+\.\d+\.\d+/)
  expect(provenance).toMatch(/knowledge release: kb-/)
  const text = fs.readFileSync((await csvDownload.path())!, 'utf8')
  const lines = text.split('\n').filter((l) => l !== '')
  expect(lines.some((l) => l.startsWith('#'))).toBe(false)
  const [header, ...rows] = lines.map(csvFields)
  expect(header).toEqual(['gene', 'pathway_id', 'pathway_name', 'direct_member'])
  expect(rows).toHaveLength(expected.allGenes.length)
  expect(rows.every((r) => r.length === header.length)).toBe(true)
  expect(rows.map((r) => r[0]).sort()).toEqual([...expected.allGenes].sort())
  expect(rows.find((r) => r[0] === 'STAT1')).toEqual(['STAT1', 'R-HSA-877300', 'Interferon gamma signaling', 'true'])

  await expect(page.getByRole('img', { name: /Graph of the pathway Interferon gamma signaling/ })).toBeVisible()
  const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()])
  expect(pngDownload.suggestedFilename()).toMatch(/\.png$/)
  const png = fs.readFileSync((await pngDownload.path())!)
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  expect(png.length).toBeGreaterThan(20_000)
  // Exported at twice the on-screen pixels: the IHDR width is over 1,000 px for a graph about 700 px wide.
  expect(png.readUInt32BE(16)).toBeGreaterThan(1000)
})

test('the open project’s dataset is highlighted in a pathway and previewed as an attention mask', async ({ page, studio }) => {
  const papalexi = path.join(SHARED, 'datasets', 'papalexi2021')
  studio.cli(['knowledge', 'build', '--knowledge', path.join(SHARED, 'knowledge')])
  studio.cli(['project', 'create', 'Papalexi THP-1'])
  const imported = studio.cli(['import', papalexi, '--metadata', path.join(papalexi, 'cells.csv'), '--condition-column', 'target', '--control-label', 'non-targeting', '--name', 'Papalexi 2021']) as { datasetId: number }
  const shown = studio.cli(['dataset', 'show', String(imported.datasetId)]) as { cellsPerCondition: Record<string, number> }
  const perturbed = [...new Set(Object.keys(shown.cellsPerCondition).flatMap((c) => c.split('+')).filter((g) => g !== 'ctrl'))].sort()
  const ifng = studio.cli(['pathway', 'R-HSA-877300']) as { allGenes: string[] }
  const inPathway = ifng.allGenes.filter((g) => perturbed.includes(g))
  expect(inPathway).toContain('STAT1')

  await page.reload()
  await page.getByTestId('project-open').click()
  await page.getByTestId('nav-pathways').click()
  await page.getByTestId('pathway-search').fill('R-HSA-877300')
  await page.getByTestId('search-pathway-R-HSA-877300').click()
  await expect(page.getByTestId('perturbed-count')).toContainText(`${inPathway.length} of ${ifng.allGenes.length} genes`)
  await expect(page.getByTestId('pathway-genes').locator('.chip.perturbed')).toHaveCount(inPathway.length)

  const mask = studio.cli(['mask', '--genes', perturbed.join(','), '--no-pairs']) as { pairCount: number; genesWithoutPathway: string[] }
  await expect(page.getByTestId('mask-genes-count')).toHaveText(String(perturbed.length))
  await expect(page.getByTestId('mask-pairs')).toHaveText(mask.pairCount.toLocaleString('en-US'))
  await expect(page.getByTestId('mask-without-pathway')).toHaveText(String(mask.genesWithoutPathway.length))
})
