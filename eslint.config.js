import js from '@eslint/js'
import pluginVue from 'eslint-plugin-vue'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net', 'url', 'worker_threads', 'zlib', 'stream']

const noElectron = { name: 'electron', message: 'Only src-main/desktop and src-main/preload may import Electron.' }
const noTestSupport = { regex: '(^|/)test-support(/|$)', message: 'Product code must not import test support (src-main/test-support is for tests only).' }

/** A relative import that reaches one of `folders` of src-main (or a root module among them), from any depth. */
const reaching = (folders, message) => ({ regex: `^(\\.\\./)+(${folders.join('|')})(/|$)`, message })

function layerRules() {
  const core = ['src-main/services/**', 'src-main/io/**', 'src-main/db/**', 'src-main/ml/**', 'src-main/handlers/**', 'src-main/server/**', 'src-main/cli/**', 'src-main/runtime/**', 'src-main/synthetic/**', 'src-main/*.ts']
  const layers = [
    // io reads and writes files: it knows only the shared contract and domain.
    { files: ['src-main/io/**'], patterns: [{ regex: '^\\.\\./(?!\\.\\./src-shared/)', message: 'io/ imports only io/ and src-shared.' }] },
    { files: ['src-main/db/**'], patterns: [reaching(['ml', 'services', 'handlers', 'cli', 'server', 'desktop', 'app-context'], 'db/ stores records: it imports neither ml/ nor services/ (record types live in src-shared).')] },
    { files: ['src-main/ml/**'], patterns: [reaching(['services', 'db', 'handlers', 'cli', 'server', 'desktop', 'app-context'], 'ml/ is the engine: it imports none of services/, db/, handlers/ (the services call it, not the reverse).')] },
    { files: ['src-main/handlers/**'], patterns: [reaching(['app-context', 'cli', 'server', 'desktop'], 'handlers/ map channels to services: they import no front end and not the composition root (they are given CoreDeps).')] },
    { files: ['src-main/services/**', 'src-main/synthetic/**'], patterns: [reaching(['app-context', 'cli', 'server', 'desktop', 'handlers', 'router'], 'services/ must not import the composition root or a front end (app-context, cli/, server/, handlers/).')] },
  ]
  return [
    { files: core, ignores: ['**/*.test.ts'], rules: { 'no-restricted-imports': ['error', { paths: [noElectron], patterns: [noTestSupport] }] } },
    ...layers.map(({ files, patterns }) => ({ files, ignores: ['**/*.test.ts'], rules: { 'no-restricted-imports': ['error', { paths: [noElectron], patterns: [noTestSupport, ...patterns] }] } })),
    // Tests keep only the Electron ban: they may drive the app from any layer.
    { files: ['src-main/**/*.test.ts'], rules: { 'no-restricted-imports': ['error', { paths: [noElectron] }] } },
    // The desktop shell may use Electron, but not test support either.
    { files: ['src-main/desktop/**', 'src-main/preload/**'], ignores: ['**/*.test.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [noTestSupport] }] } },
  ]
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', '.cache/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'resources/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/multi-word-component-names': 'off',
    },
  },
  // src-shared is pure TypeScript: it runs in the renderer, the main process and the worker.
  {
    files: ['src-shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'src-shared must not depend on Electron.' }, ...nodeBuiltins.filter((n) => !n.includes('*')).map((name) => ({ name, message: 'src-shared must not use Node built-ins.' }))],
          patterns: [{ group: ['node:*'], message: 'src-shared must not use Node built-ins.' }],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'localStorage', 'location', 'process', 'Buffer', 'require'],
    },
  },
  // Layers of src-main import only downward (docs/architecture.md). Each layer's rule also keeps
  // Electron out of the core, which must run without it (CLI, browser mode, tests). Tests may
  // reach up (a service's test can drive the CLI); product code never imports test support.
  ...layerRules(),
  // The renderer talks to the core only through api/.
  {
    files: ['src-renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'The renderer reaches the main process only through src-renderer/api.' }], patterns: [{ group: ['node:*', '**/src-main/**'], message: 'The renderer reaches the main process only through src-renderer/api.' }] },
      ],
    },
  },
)
