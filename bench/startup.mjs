// Start to ready (file source) against a bare `node` start, side by side in one run (the order of
// the processes alternates each round; medians): a bare `node` http server; the sidecar on a JSON
// file without secrets (no CONFIG_KEYS: node-jose never loads); and on the same file with two
// secrets (node-jose loads, the keys are imported, both decrypt). Each sidecar case runs as a first
// start (a new CONFIG_CACHE_DIR: the compile cache is empty, as in a new container) and as a
// restart that finds the compile cache the run before wrote in its CONFIG_CACHE_DIR (Node 22.1+;
// Node 20 has none, so there both rows measure the same thing). A restart's snapshot is removed
// first, so every start reads (and decrypts) the source.
// Besides wall time, each row gives the CPU time the process used until it was ready (all its
// threads, from /proc/<pid>/task/*/schedstat): on a shared machine that moves less than wall time.
import { readdirSync, readFileSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import * as nodeModule from 'node:module'
import { join } from 'node:path'
import { freePort, startNode, waitForStatus } from './lib/proc.mjs'
import { fixed, median, table } from './lib/stats.mjs'

/** Milliseconds of CPU a process has used (every thread), or NaN where /proc does not say. */
function cpuMs(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce((sum, task) => {
      const schedstat = readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8')
      return sum + Number(schedstat.split(' ')[0]) / 1e6
    }, 0)
  } catch {
    return Number.NaN
  }
}

export async function runStartupBench({ smoke, dir, config, startSidecar, print }) {
  const rounds = smoke ? 1 : 9
  // The same JSON document without its two secrets, and no key set.
  const plainFile = join(dir, 'plain.json')
  const document = JSON.parse(await readFile(config.file, 'utf8'))
  delete document.database
  delete document.apiKey
  await writeFile(plainFile, JSON.stringify(document, null, 2))
  let fresh = 0
  // The children run on this same node binary.
  const hasCompileCache = typeof nodeModule.enableCompileCache === 'function'

  const startBare = async () => {
    const port = await freePort()
    const bare = startNode([
      '-e',
      `require('node:http').createServer((q, s) => s.end()).listen(${port}, '127.0.0.1')`,
    ])
    const ms = await waitForStatus(`http://127.0.0.1:${port}/`, { since: bare.startedAt })
    const cpu = cpuMs(bare.child.pid)
    await bare.stop()
    return { ms, cpu }
  }
  const startWith = (env) => async () => {
    const sidecar = await startSidecar(dir, config, env)
    const cpu = cpuMs(sidecar.child.pid)
    await sidecar.stop()
    return { ms: sidecar.readyMs, cpu }
  }
  const plain = { CONFIG_SOURCE: `file:${plainFile}`, CONFIG_KEYS: '' }
  // A first start gets a new CONFIG_CACHE_DIR (an empty compile cache, as in a new container).
  const first = (env) => () =>
    startWith({ ...env, CONFIG_CACHE_DIR: join(dir, `fresh-cache-${(fresh += 1)}`) })()
  // A restart keeps its CONFIG_CACHE_DIR and so the compile cache the run before wrote; its
  // snapshot is removed, so the source is read (and decrypted) again.
  const restart = (env, name) => {
    const cacheDir = join(dir, name)
    const start = async () => {
      for (const entry of readdirSync(cacheDir)) {
        if (entry.startsWith('snapshot-')) await rm(join(cacheDir, entry), { force: true })
      }
      return startWith({ ...env, CONFIG_CACHE_DIR: cacheDir })()
    }
    start.fill = () => startWith({ ...env, CONFIG_CACHE_DIR: cacheDir })()
    return start
  }
  const warm = hasCompileCache ? 'compile cache warm' : 'no compile cache on this Node'
  const cases = [
    { label: 'bare `node` http server', start: startBare },
    {
      label: 'sidecar `/readyz`, JSON file without secrets (no CONFIG_KEYS), first start',
      start: first(plain),
      target: 150,
    },
    {
      label: `sidecar \`/readyz\`, JSON file without secrets, restart (${warm})`,
      start: restart(plain, 'restart-plain'),
      target: 150,
    },
    {
      label: 'sidecar `/readyz`, JSON file with 2 secrets, first start (compile cache empty)',
      start: first({}),
      target: 100,
    },
    {
      label: `sidecar \`/readyz\`, JSON file with 2 secrets, restart (${warm})`,
      start: restart({}, 'restart-secrets'),
      target: 100,
    },
  ]
  // Each restart case's first start fills its cache.
  for (const entry of cases) await entry.start.fill?.()

  const times = cases.map(() => ({ ms: [], cpu: [] }))
  for (let round = 0; round < rounds; round += 1) {
    const order = cases.map((_, index) => index)
    if (round % 2 === 1) order.reverse()
    for (const index of order) {
      const { ms, cpu } = await cases[index].start()
      times[index].ms.push(ms)
      times[index].cpu.push(cpu)
    }
  }
  const bare = { ms: median(times[0].ms), cpu: median(times[0].cpu) }
  print(
    `${rounds} round(s), the order alternating each round; medians. Node ${process.version}` +
      `${hasCompileCache ? ' (module.enableCompileCache: yes)' : ' (no module.enableCompileCache)'}.`,
  )
  print()
  print(
    table(
      ['process', 'spawn → first 200 (ms, median)', 'CPU until ready (ms, median)'],
      cases.map((entry, index) => {
        const ms = median(times[index].ms)
        const cpu = median(times[index].cpu)
        if (index === 0) return [entry.label, fixed(ms, 0), fixed(cpu, 0)]
        const extra = ms - bare.ms
        const verdict = extra <= entry.target ? 'met' : 'not met'
        return [
          entry.label,
          `${fixed(ms, 0)} (+${fixed(extra, 0)} ms, ${verdict} ≤ +${entry.target} ms)`,
          `${fixed(cpu, 0)} (+${fixed(cpu - bare.cpu, 0)} ms)`,
        ]
      }),
    ),
  )
  return { bare, times }
}
