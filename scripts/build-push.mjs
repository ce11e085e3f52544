// Writes the self-contained push directory that manifest.yml's `path:` names: the demo app and the
// sidecar bundled with esbuild (no node_modules, no install step), the sample config, and a
// package.json that asks the Cloud Foundry Node.js buildpack for Node 24.
import { build } from 'esbuild'
import { cp, mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const PUSH_DIR = join(root, 'dist', 'push')

// Bundled CommonJS dependencies (express, node-jose) call require() for Node built-ins.
const banner =
  "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);"

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  outExtension: { '.js': '.mjs' },
  banner: { js: banner },
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
}

await rm(PUSH_DIR, { recursive: true, force: true })
await mkdir(PUSH_DIR, { recursive: true })

await build({
  ...common,
  entryPoints: { main: join(root, 'packages/config-sidecar/src/main.ts') },
  outdir: join(PUSH_DIR, 'sidecar'),
  // The CLI commands, node-jose and one-shot mode load on demand, in chunks of their own.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
})
await build({
  ...common,
  entryPoints: { main: join(root, 'packages/demo-app/src/main.ts') },
  outdir: join(PUSH_DIR, 'app'),
})

await cp(join(root, 'samples'), join(PUSH_DIR, 'samples'), { recursive: true })
await writeFile(
  join(PUSH_DIR, 'package.json'),
  `${JSON.stringify(
    {
      name: 'config-sidecar-demo',
      version: '0.1.0',
      private: true,
      description:
        'Push directory built by `npm run build`: the demo app and its config sidecar, bundled.',
      license: 'Apache-2.0',
      type: 'module',
      engines: { node: '24.x' },
      scripts: { start: 'node app/main.mjs' },
    },
    null,
    2,
  )}\n`,
)
process.stdout.write(`push directory written: ${PUSH_DIR}\n`)
