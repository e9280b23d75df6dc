/**
 * The layer rules of eslint.config.js (docs/architecture.md) refuse an import that reaches up,
 * and let the same file import downward. Linted as text at a real path, so the real config applies.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const eslint = new ESLint({ cwd: root })

async function restricted(file: string, importPath: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import '${importPath}'\n`, { filePath: path.join(root, file) })
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
}

describe('layer rules', () => {
  it.each([
    ['src-main/io/some-reader.ts', '../db/database', /io\/ imports only io\/ and src-shared/],
    ['src-main/io/some-reader.ts', '../runtime/paths', /io\/ imports only/],
    ['src-main/db/some-repo.ts', '../ml/engine-types', /db\/ stores records/],
    ['src-main/db/some-repo.ts', '../services/jobs', /db\/ stores records/],
    ['src-main/ml/some-model.ts', '../services/knowledge/knowledge-base', /ml\/ is the engine/],
    ['src-main/ml/ops/some-op.ts', '../../db/database', /ml\/ is the engine/],
    ['src-main/ml/some-model.ts', '../handlers/training', /ml\/ is the engine/],
    ['src-main/services/some/service.ts', '../../app-context', /composition root or a front end/],
    ['src-main/services/some/service.ts', '../../cli/main', /composition root or a front end/],
    ['src-main/services/some/service.ts', '../../server/http-server', /composition root or a front end/],
    ['src-main/services/some/service.ts', '../../test-support/temp-home', /test support/],
    ['src-main/handlers/some-channel.ts', '../cli/main', /handlers\/ map channels/],
    ['src-main/handlers/some-channel.ts', '../app-context', /handlers\/ map channels/],
    ['src-main/ml/some-model.ts', 'electron', /Electron/],
  ])('%s may not import %s', async (file, importPath, message) => {
    const messages = await restricted(file, importPath)
    expect(messages.length).toBe(1)
    expect(messages[0]).toMatch(message)
  })

  it.each([
    ['src-main/io/some-reader.ts', '../../src-shared/contract'],
    ['src-main/io/some-reader.ts', './csv'],
    ['src-main/db/some-repo.ts', '../../src-shared/contract'],
    ['src-main/ml/some-model.ts', '../io/raw-dataset'],
    ['src-main/services/some/service.ts', '../../ml/trainer'],
    ['src-main/services/some/service.ts', '../../db/runs-repo'],
    ['src-main/cli/some-command.ts', '../app-context'],
    ['src-main/handlers/some-channel.ts', '../services/design/design-files'],
    // tests may drive the app from any layer
    ['src-main/services/some/service.test.ts', '../../test-support/temp-home'],
    ['src-main/services/some/service.test.ts', '../../cli/main'],
  ])('%s may import %s', async (file, importPath) => {
    expect(await restricted(file, importPath)).toEqual([])
  })
})
