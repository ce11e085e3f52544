// `pnpm bench`: measures the sidecar against the Node limit, side by side in one run (alternating
// rounds, medians), and prints markdown with the ratios and the machine. Everything it measures
// it starts itself, on 127.0.0.1, and every load is bounded in time.
//   node bench/run.mjs [--smoke] [--rounds N] [--seconds S] [--only name,name]
// Sections: throughput, app, memory, start, decrypt, propagation, fleet, changes, container.
import { cpus, freemem, tmpdir, totalmem } from 'node:os'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { hasWrk, runLoad } from './lib/load.mjs'
import { freePort, sleep, startApp, startNode, waitForStatus } from './lib/proc.mjs'
import { fixed, median, table, verdict } from './lib/stats.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const push = join(root, 'dist', 'push')
const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    only: { type: 'string' },
  },
})
const smoke = values.smoke
const rounds = Number(values.rounds ?? (smoke ? 1 : 3))
const seconds = Number(values.seconds ?? (smoke ? 0.5 : 5))
const only = values.only?.split(',')
const wanted = (name) => only === undefined || only.includes(name)
const TOKEN = 'bench-token-0123456789abcdef'
const AUTH = { authorization: `Bearer ${TOKEN}` }
const out = (text = '') => process.stdout.write(`${text}\n`)
/** Target for the app's GET /config at 50 connections (issue 16). */
const APP_P99_TARGET_MS = 50

/** CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat (100 ticks a second). */
function cpuMsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return Number.NaN
  }
}

/** A config of about 4 KB with two secrets, like a small service's. */
async function writeConfig(dir) {
  const keysOut = join(dir, 'keys')
  const keygen = startNode(
    [
      join(push, 'sidecar', 'main.mjs'),
      'keygen',
      '--type',
      'ec',
      '--kid',
      'bench',
      '--out',
      keysOut,
    ],
    { cwd: dir },
  )
  await new Promise((resolve) => keygen.child.once('exit', resolve))
  const secret = async (value) => {
    const encrypt = startNode(
      [join(push, 'sidecar', 'main.mjs'), 'encrypt', '--key', `${keysOut}.public.jwks.json`, value],
      { cwd: dir },
    )
    await new Promise((resolve) => encrypt.child.once('exit', resolve))
    return encrypt.output().trim()
  }
  const services = Object.fromEntries(
    Array.from({ length: 24 }, (_, i) => [
      `service${i}`,
      {
        url: `https://service-${i}.example.internal:8443/api`,
        timeoutMs: 1000 + i,
        retries: 3,
        enabled: i % 2 === 0,
      },
    ]),
  )
  const config = {
    app: { name: 'bench', region: 'eu-west-1' },
    services,
    database: { user: 'app', password: await secret('bench-db-password') },
    apiKey: await secret('bench-api-key'),
  }
  const file = join(dir, 'config.json')
  await writeFile(file, JSON.stringify(config, null, 2))
  return { file, keys: `${keysOut}.private.jwks.json` }
}

async function startSidecar(dir, config, extraEnv = {}) {
  const port = await freePort()
  const proc = startNode([join(push, 'sidecar', 'main.mjs')], {
    cwd: dir,
    env: {
      CONFIG_SOURCE: `file:${config.file}`,
      CONFIG_KEYS: `file:${config.keys}`,
      CONFIG_SERVER_PORT: String(port),
      CONFIG_SIDECAR_TOKEN: TOKEN,
      CONFIG_CACHE_DIR: join(dir, `cache-${port}`),
      CONFIG_LOG_LEVEL: 'warn',
      ...extraEnv,
    },
  })
  const readyMs = await waitForStatus(`http://127.0.0.1:${port}/readyz`, { since: proc.startedAt })
  return { ...proc, port, url: `http://127.0.0.1:${port}`, readyMs }
}

/** Runs a load against each target, alternating their order each round; returns medians. */
async function compare(targets, { connections, headers = {} }) {
  const results = new Map(targets.map((target) => [target.name, []]))
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? targets : [...targets].reverse()
    for (const target of order) {
      const cpuBefore = target.pid === undefined ? Number.NaN : cpuMsOf(target.pid)
      const run = await runLoad(target.url, {
        connections,
        seconds,
        headers: { ...headers, ...target.headers },
      })
      const cpuMs = target.pid === undefined ? Number.NaN : cpuMsOf(target.pid) - cpuBefore
      results.get(target.name).push({ ...run, cpuUs: (cpuMs * 1000) / run.requests })
    }
  }
  return Object.fromEntries(
    [...results].map(([name, runs]) => [
      name,
      {
        rps: median(runs.map((run) => run.rps)),
        p50: median(runs.map((run) => run.p50)),
        p99: median(runs.map((run) => run.p99)),
        cpuUs: median(runs.map((run) => run.cpuUs)),
        non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
        errors: runs.reduce((sum, run) => sum + run.errors, 0),
      },
    ]),
  )
}

function machine() {
  const cpu = cpus()
  return `${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB (${(freemem() / 2 ** 30).toFixed(0)} free), Node ${process.version}, ${hasWrk() ? 'wrk' : 'node load client (wrk not installed)'}`
}

async function main() {
  if (!existsSync(join(push, 'sidecar', 'main.mjs')))
    throw new Error('run `pnpm build` first: dist/push is missing')
  const dir = await mkdtemp(join(tmpdir(), 'config-sidecar-bench-'))
  const started = []
  const track = (proc) => (started.push(proc), proc)
  try {
    out(`# Benchmarks${smoke ? ' (smoke run: numbers mean nothing)' : ''}`)
    out()
    out(
      `Machine: ${machine()}. ${rounds} round(s) of ${seconds} s per load, alternating order; medians.`,
    )
    out()
    const config = await writeConfig(dir)
    const sidecar = track(await startSidecar(dir, config))
    const served = await fetch(`${sidecar.url}/config/`, { headers: AUTH })
    const etag = served.headers.get('etag')
    const version = served.headers.get('x-config-version')
    const bodyFile = join(dir, 'served.json')
    await writeFile(bodyFile, Buffer.from(await served.arrayBuffer()))
    const server = join(root, 'bench', 'lib', 'baseline-server.mjs')
    const baselinePort = await freePort()
    const baseline = track(startNode([server, bodyFile, etag, version, String(baselinePort)]))
    const minimalPort = await freePort()
    track(startNode([server, bodyFile, etag, version, String(minimalPort), '--minimal']))
    await waitForStatus(`http://127.0.0.1:${baselinePort}/`)
    await waitForStatus(`http://127.0.0.1:${minimalPort}/`)
    const bare = track(startNode(['-e', 'setInterval(() => {}, 1 << 30)']))
    // Idle means settled: V8's memory reducer gives back start-up garbage after about 10 s.
    await sleep(smoke ? 500 : 12_000)
    const idle = { sidecar: sidecar.memory().rssKb, bare: bare.memory().rssKb }

    if (wanted('throughput')) {
      out(
        '## 1. Sidecar `GET /config/` against a plain `node:http` server answering the same bytes',
      )
      out()
      out(
        'The baseline sends the same body and the same headers (ETag, X-Config-Version, X-Config-Stale, Age, Cache-Control, Content-Type, Content-Length) from a constant; the sidecar also checks the caller (proxy headers, Host, bearer token), counts the request and computes Age and the stale flag.',
      )
      out()
      const targets = [
        { name: 'node:http', url: `http://127.0.0.1:${baselinePort}/config/`, headers: {} },
        { name: 'sidecar', url: `${sidecar.url}/config/`, headers: AUTH },
        { name: 'minimal', url: `http://127.0.0.1:${minimalPort}/config/`, headers: {} },
      ]
      const rows = []
      const minimalNote = []
      const cases = [
        ['200, 1 connection', 1, {}],
        ['200, 50 connections', 50, {}],
        ['304, 50 connections', 50, { 'if-none-match': etag }],
      ]
      for (const [label, connections, headers] of smoke ? cases.slice(1, 2) : cases) {
        const result = await compare(targets, { connections, headers })
        const base = result['node:http']
        const ours = result.sidecar
        minimalNote.push(`${fixed(result.minimal.rps, 0)} req/s at ${label}`)
        const throughput = ours.rps / base.rps
        const p99 = ours.p99 / base.p99
        rows.push([
          label,
          fixed(base.rps, 0),
          fixed(ours.rps, 0),
          `**${fixed(throughput)}×** (${verdict(throughput >= 0.9)} ≥ 0.9)`,
          `${fixed(base.p50, 3)} / ${fixed(base.p99, 3)}`,
          `${fixed(ours.p50, 3)} / ${fixed(ours.p99, 3)}`,
          `**${fixed(p99)}×** (${verdict(p99 <= 1.5)} ≤ 1.5)`,
          String(base.errors + ours.errors),
        ])
      }
      out(
        table(
          [
            'case',
            'node:http req/s',
            'sidecar req/s',
            'throughput ratio',
            'node:http p50/p99 ms',
            'sidecar p50/p99 ms',
            'p99 ratio',
            'errors',
          ],
          rows,
        ),
      )
      out()
      out(
        `For scale, a minimal node:http server sending the body with only its type, length and ETag: ${minimalNote.join('; ')}. (Run-to-run noise on a shared VM is of the same order as the difference.)`,
      )
      out()
    }

    if (wanted('app')) {
      out(
        '## 2. Demo app `GET /config` (through the sidecar) against a bare express + got proxy and the sidecar directly',
      )
      out()
      // The app and the bare proxy run with the manifest's NODE_OPTIONS (as pushed), on this node.
      const { manifestApp } = await import('./memory.mjs')
      const env = (await manifestApp()).env
      const app = track(await startApp({ cwd: dir, sidecarPort: sidecar.port, token: TOKEN, env }))
      const barePort = await freePort()
      const bare = track(
        startNode(
          [
            join(root, 'bench', 'lib', 'proxy-baseline.mjs'),
            String(barePort),
            String(sidecar.port),
            TOKEN,
          ],
          { env },
        ),
      )
      await waitForStatus(`http://127.0.0.1:${barePort}/config`)
      const targets = [
        { name: 'sidecar', url: `${sidecar.url}/config/`, headers: AUTH, pid: sidecar.child.pid },
        {
          name: 'bare',
          url: `http://127.0.0.1:${barePort}/config`,
          headers: {},
          pid: bare.child.pid,
        },
        {
          name: 'app',
          url: `http://127.0.0.1:${app.port}/config`,
          headers: {},
          pid: app.child.pid,
        },
      ]
      const rows = []
      for (const connections of smoke ? [50] : [1, 50]) {
        const result = await compare(targets, { connections })
        const p99Target =
          connections === 50
            ? ` (${verdict(result.app.p99 <= APP_P99_TARGET_MS)} ≤ ${APP_P99_TARGET_MS})`
            : ''
        rows.push([
          String(connections),
          fixed(result.sidecar.rps, 0),
          fixed(result.bare.rps, 0),
          fixed(result.app.rps, 0),
          `**${fixed(result.app.rps / result.bare.rps)}×**`,
          `${fixed(result.bare.cpuUs, 0)} / ${fixed(result.app.cpuUs, 0)}`,
          `${fixed(result.sidecar.p99, 1)} / ${fixed(result.bare.p99, 1)} / **${fixed(result.app.p99, 1)}**${p99Target}`,
          String(result.app.non2xx),
          String(result.sidecar.errors + result.bare.errors + result.app.errors),
        ])
      }
      out(
        table(
          [
            'connections',
            'sidecar req/s',
            'bare express + got req/s',
            'app req/s',
            'app / bare',
            'CPU µs per request, bare / app',
            'p99 ms: sidecar / bare / app',
            'app non-2xx (503)',
            'errors (all)',
          ],
          rows,
        ),
      )
      out()
      out(
        `The bare proxy (\`bench/lib/proxy-baseline.mjs\`) is express + got with nothing else: no log line, no deadline, no retry, got's defaults. What the app adds: the article's two log lines per request, the 1.5 s deadline, the If-None-Match and config headers passed on, \`nosniff\`. Both run with the manifest's \`NODE_OPTIONS\` (${env.NODE_OPTIONS ?? 'none'}) on ${process.version}. CPU per request is the process's user + system time (\`/proc/<pid>/stat\`) over the requests wrk counted: it moves less than req/s on a shared machine.`,
      )
      out()
      await app.stop()
      await bare.stop()
    }

    if (wanted('memory')) {
      out('## 3. Resident memory')
      out()
      const peak = sidecar.memory().peakKb
      const extraIdle = (idle.sidecar - idle.bare) / 1024
      out(
        table(
          ['process', 'RSS MB', 'vs bare node'],
          [
            ['bare `node` that only waits', fixed(idle.bare / 1024, 1), '—'],
            [
              'sidecar, idle, JSON config with 2 secrets',
              fixed(idle.sidecar / 1024, 1),
              `+${fixed(extraIdle, 1)} MB (${verdict(extraIdle <= 15)} ≤ +15 MB)`,
            ],
            [
              'sidecar, peak over the runs above',
              fixed(peak / 1024, 1),
              `+${fixed((peak - idle.bare) / 1024, 1)} MB`,
            ],
            [
              'node:http baseline, peak under the same load',
              fixed(baseline.memory().peakKb / 1024, 1),
              `+${fixed((baseline.memory().peakKb - idle.bare) / 1024, 1)} MB`,
            ],
          ],
        ),
      )
      out()
    }

    if (wanted('start')) {
      out('## 4. Start to ready (file source) against a bare `node` start')
      out()
      const { runStartupBench } = await import('./startup.mjs')
      await runStartupBench({ smoke, dir, config, startSidecar, print: out })
      out()
    }

    if (wanted('decrypt') && existsSync(join(root, 'bench', 'decrypt.mjs'))) {
      out('## 5. Decryption')
      out()
      const { runDecryptBench } = await import('./decrypt.mjs')
      await runDecryptBench({ quick: smoke, print: out })
      out()
    }

    if (wanted('propagation')) {
      const { runPropagationBench } = await import('./propagation.mjs')
      await runPropagationBench({
        smoke,
        dir,
        config,
        startSidecar,
        print: out,
        token: TOKEN,
        track,
      })
    }

    if (wanted('fleet')) {
      const { runFleetBench } = await import('./fleet.mjs')
      await runFleetBench({ smoke, print: out })
    }

    if (wanted('changes')) {
      out('## 8. What changed: the diff of two documents beside the refresh that accepts one')
      out()
      const { runChangesBench } = await import('./changes.mjs')
      await runChangesBench({ quick: smoke, print: out })
      out()
    }

    if (wanted('container')) {
      const { runMemoryBench } = await import('./memory.mjs')
      await runMemoryBench({ smoke, seconds, print: out })
    }
  } finally {
    for (const proc of started.reverse()) await proc.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
