// Mutation testing (`npm run mutate -- <package> [folder or file]`, see docs/testing.md): mutates one
// package's src (or one folder or file of it) and runs that package's unit tests against each mutant.
// Incremental: a rerun only tests mutants whose code or tests changed since the last run.
const pkg = process.env.MUTATE_PACKAGE ?? 'config-sidecar'
const folder = process.env.MUTATE_FOLDER ?? ''
const scope =
  folder === ''
    ? pkg
    : `${pkg}-${folder
        .replace(/\.ts$/, '')
        .replaceAll('*', 'top')
        .replace(/[^A-Za-z0-9-]+/g, '-')}`

export default {
  testRunner: 'vitest',
  vitest: { configFile: `packages/${pkg}/vitest.config.ts` },
  plugins: ['@stryker-mutator/vitest-runner'],
  // A folder of src/ (all its files), one file of it, or a pattern (`document/*.ts`: the folder's
  // own files, not its subfolders).
  mutate: [
    folder.endsWith('.ts')
      ? `packages/${pkg}/src/${folder}`
      : `packages/${pkg}/src/${folder === '' ? '' : `${folder}/`}**/*.ts`,
  ],
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `reports/mutation/${scope}.incremental.json`,
  coverageAnalysis: 'perTest',
  // Both cores by default; MUTATE_CONCURRENCY=1 leaves one free for other work.
  concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 2),
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${scope}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true },
  tempDirName: '.stryker-tmp',
  thresholds: { high: 90, low: 75, break: null },
}
