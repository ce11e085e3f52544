// Lint: typescript-eslint's type-checked rules, plus the import boundaries that keep each
// third-party library in one place (SPEC.md: express in the http layer, got in the upstream and
// auth clients, node-jose in the crypto folder, chokidar in the watcher).
import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const only = (library, where) => ({
  name: library,
  message: `${library} is imported only in ${where}.`,
})

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.ci/node24/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs', 'bench/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    files: ['packages/config-sidecar/src/**/*.ts'],
    ignores: [
      'packages/config-sidecar/src/http/**',
      'packages/config-sidecar/src/crypto/**',
      'packages/config-sidecar/src/watcher.ts',
      'packages/config-sidecar/src/sources/http-source.ts',
      'packages/config-sidecar/src/auth/client-credentials.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            only('express', 'src/http/'),
            only('node-jose', 'src/crypto/'),
            only('chokidar', 'src/watcher.ts'),
            only('got', 'src/sources/http-source.ts and src/auth/client-credentials.ts'),
          ],
        },
      ],
    },
  },
  {
    files: ['packages/config-sidecar/src/http/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            only('node-jose', 'src/crypto/'),
            only('chokidar', 'src/watcher.ts'),
            only('got', 'the upstream and auth clients'),
          ],
        },
      ],
    },
  },
  {
    files: ['packages/demo-app/src/**/*.ts'],
    ignores: [
      'packages/demo-app/src/sidecar-client.ts',
      'packages/demo-app/src/app.ts',
      'packages/demo-app/src/page.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            only('got', 'src/sidecar-client.ts'),
            only('express', 'src/app.ts and src/page.ts'),
          ],
        },
      ],
    },
  },
  {
    files: ['packages/shared/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!node:|\\.)', message: 'shared imports nothing but Node built-ins.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts', 'bench/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: globals.node } },
  prettier,
)
