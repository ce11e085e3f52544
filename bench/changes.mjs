// What changed: the cost of the one diff of two accepted documents (src/state/changes.ts: both
// documents walked into their `flat` paths, compared by decrypted value), beside the refresh it
// belongs to (prepareConfig and createServedConfig of the new document: parse, walk, size checks,
// serialise, ETag), for documents of about 256 KB, 1 MB and 3 MB, 1% of their values changed and a
// few keys added and removed. The diff must stay linear in the document and small beside its refresh.
//   npx tsc -b && node bench/changes.mjs [--quick]
import { existsSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { fixed, median, table } from './lib/stats.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'packages', 'config-sidecar', 'dist')

async function loadModules() {
  const paths = {
    changes: join(dist, 'state', 'changes.js'),
    served: join(dist, 'state', 'served-config.js'),
    prepare: join(dist, 'document', 'prepare.js'),
  }
  for (const path of Object.values(paths))
    if (!existsSync(path)) throw new Error(`${path} is missing: build first (npm run build)`)
  const [changes, served, prepare] = await Promise.all(
    Object.values(paths).map((path) => import(pathToFileURL(path).href)),
  )
  return { ...changes, ...served, ...prepare }
}

/**
 * A config of about `bytes` bytes: services with settings, lists of objects, flags. `dotted` adds a
 * key holding a dot (as Spring's `logging.level.org` beside `logging.level`), which sends the diff
 * the slower way, over the `flat` paths of each document.
 */
function documentOf(bytes, edition = 0, dotted = false) {
  const services = {}
  let size = 0
  for (let i = 0; size < bytes; i += 1) {
    const service = {
      url: `https://service-${i}.example.internal:8443/api/v${1 + (i % 3)}`,
      timeoutMs: 1000 + i,
      retries: 3,
      enabled: i % 2 === 0,
      tags: [`team-${i % 17}`, `tier-${i % 3}`],
      limits: { rps: 100 + (i % 50), burst: 20 },
    }
    // Edition 1: 1% of the services change a value, one in 200 is gone and one in 200 is new.
    if (edition === 1 && i % 100 === 7) service.timeoutMs += 1
    if (edition === 1 && i % 200 === 11) service.limits.extra = true
    if (!(edition === 1 && i % 200 === 13)) services[`service${i}`] = service
    size += JSON.stringify(service).length + 16
  }
  const app = { name: 'bench', region: 'eu-west-1', edition }
  return dotted ? { app, 'logging.level': 'INFO', services } : { app, services }
}

const raw = (document) => ({
  documents: [{ body: Buffer.from(JSON.stringify(document)), contentType: 'application/json' }],
})

/** Milliseconds of `fn()`, as a median of `rounds` runs after one warm-up. */
async function time(fn, rounds) {
  await fn()
  const runs = []
  for (let round = 0; round < rounds; round += 1) {
    const started = performance.now()
    await fn()
    runs.push(performance.now() - started)
  }
  return median(runs)
}

export async function runChangesBench({
  quick = false,
  print = (line = '') => process.stdout.write(`${line}\n`),
} = {}) {
  const modules = await loadModules()
  const cases = quick
    ? [{ bytes: 64 * 1024 }]
    : [
        { bytes: 256 * 1024 },
        { bytes: 1024 * 1024 },
        { bytes: 3 * 1024 * 1024 },
        { bytes: 1024 * 1024, dotted: true },
      ]
  const rounds = quick ? 1 : 9
  const cpu = cpus()
  print(
    `Machine: ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, Node ${process.version}. ` +
      `${rounds} round(s), medians. The refresh: prepareConfig + createServedConfig of the new ` +
      `document (no secret, so no decryption: the least a refresh costs). The diff: diffDocuments ` +
      `of the two accepted documents, which every output of "what changed" shares.` +
      `${quick ? ' Quick run: indicative only.' : ''}`,
  )
  print()
  const prepare = async (document) =>
    modules.createServedConfig(
      await modules.prepareConfig(raw(document), {
        where: 'bench',
        decryptor: undefined,
        previous: new Map(),
      }),
    )
  const rows = []
  for (const { bytes, dotted = false } of cases) {
    const before = await prepare(documentOf(bytes, 0, dotted))
    const after = await prepare(documentOf(bytes, 1, dotted))
    const changes = modules.diffDocuments(before.document, after.document)
    const named = changes.added.length + changes.removed.length + changes.changed.length
    const refreshMs = await time(() => prepare(documentOf(bytes, 1, dotted)), rounds)
    const diffMs = await time(() => modules.diffDocuments(before.document, after.document), rounds)
    const count = countLeaves(after.document)
    rows.push([
      `${fixed(after.full.body.length / 1024 / 1024, 2)} MB${dotted ? ', a dotted key' : ''}`,
      String(count),
      String(named),
      fixed(refreshMs, 1),
      `**${fixed(diffMs, 1)}**`,
      `${fixed(diffMs / refreshMs, 2)}×`,
      fixed((diffMs * 1000) / (count / 1000), 0),
    ])
  }
  print(
    table(
      [
        'document',
        'leaves',
        'paths named',
        'refresh ms',
        'diff ms',
        'diff / refresh',
        'diff µs per 1,000 leaves',
      ],
      rows,
    ),
  )
  return rows
}

/** Leaves of a document as the flat view has them (an empty object or list is one). */
function countLeaves(value) {
  if (Array.isArray(value)) return value.reduce((sum, item) => sum + countLeaves(item), 0) || 1
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value)
    return keys.reduce((sum, key) => sum + countLeaves(value[key]), 0) || 1
  }
  return 1
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } })
  await runChangesBench({ quick: values.quick })
}
