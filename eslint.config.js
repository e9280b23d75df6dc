import js from '@eslint/js'
import pluginVue from 'eslint-plugin-vue'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net', 'url', 'worker_threads', 'zlib', 'stream']

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
  // The core must run without Electron (CLI, browser mode, tests).
  {
    files: ['src-main/services/**', 'src-main/io/**', 'src-main/db/**', 'src-main/ml/**', 'src-main/handlers/**', 'src-main/server/**', 'src-main/cli/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only src-main/desktop and src-main/preload may import Electron.' }] }],
    },
  },
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
