import { afterEach, describe, expect, it } from 'vitest'
import { RUN_METRICS } from '../../../src-shared/contract'
import { oneJson, runCliCaptured as cli } from '../../test-support/cli'
import { tempHome } from '../../test-support/temp-home'

let home: ReturnType<typeof tempHome>
afterEach(() => home?.cleanup())

describe('perturb-studio glossary', () => {
  it('lists every term with its plain words, every metric among them', async () => {
    home = tempHome()
    const r = await cli(['--home', home.dir, '--json', 'glossary'])
    expect(r.code).toBe(0)
    const terms = (oneJson(r.stdout) as { term: string }[]).map((e) => e.term)
    for (const m of RUN_METRICS) expect(terms).toContain(m)
  })

  it('explains one term, and names close terms for a misspelt one', async () => {
    home = tempHome()
    const one = await cli(['--home', home.dir, 'glossary', 'mse_de'])
    expect(one.stdout).toMatch(/^mse_de — error on the top-20 changed genes \(lower is better\)\n/)
    const wrong = await cli(['--home', home.dir, '--json', 'glossary', 'pearson_dleta'])
    expect(wrong.code).toBe(1)
    expect(oneJson(wrong.stdout)).toMatchObject({ error: { code: 'cli.unknown-term' } })
  })
})
