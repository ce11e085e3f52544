// Lint: typescript-eslint's type-checked rules. Which folder may import which, and the room of each
// third-party library, are checked over the import graph by test/architecture.test.ts.
import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const only = (library, where) => ({
  name: library,
  message: `${library} is imported only in ${where}.`,
})

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'coverage/**',
      '.ci/node24/**',
      // Mutation testing's sandbox and reports (npm run mutate).
      '.stryker-tmp/**',
      'reports/**',
      // What the workshop makes in the repository root (also in .gitignore and .prettierignore).
      '*.jwks.json',
      '**/*.private.jwks.json',
      'workshop-files/**',
    ],
  },
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
    files: ['packages/demo-app/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            only('got', 'src/sidecar-client.ts'),
            only('express', 'the http files, src/app.ts and src/page/page.ts'),
          ],
        },
      ],
    },
  },
  {
    files: ['packages/demo-app/src/sidecar-client.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [only('express', 'the http files, src/app.ts and src/page/page.ts')] },
      ],
    },
  },
  {
    files: ['packages/demo-app/src/app.ts', 'packages/demo-app/src/page/page.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [only('got', 'src/sidecar-client.ts')] }],
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
