// `npm run demo` (scripts/demo.mjs) and its three ports, as a newcomer meets them: a port that is
// taken stops the demo before anything starts, with one line naming the setting to change and exit
// code 1; the page's address is printed only once all three processes listen; the README lists the
// three ports with the settings the demo reads. Real ports on 127.0.0.1, real processes.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer, connect } from 'node:net'
import type { Server } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { PortInUseError, candidatePort, withFreePorts } from '../../test-support/ports.js'
import { cleanEnv, run } from '../../test-support/processes.js'
import type { Running } from '../../test-support/processes.js'
import { copyCommittedSamples, readDoc, repoRoot } from '../docs/doc-runner.js'
import { tableBetween } from '../docs/markdown.js'

const DEMO = join(repoRoot, 'scripts', 'demo.mjs')
const SETTINGS = ['PORT', 'CONFIG_SERVER_PORT', 'DEV_CONFIG_PORT'] as const
type Setting = (typeof SETTINGS)[number]

let dir: Awaited<ReturnType<typeof tempDir>>
let samples: string
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  dir = await tempDir('config-sidecar-demo-ports-')
  // The samples as committed: the repository's may be half-way through the workshop.
  await copyCommittedSamples(dir.path)
  samples = join(dir.path, 'samples')
  await mkdir(join(dir.path, 'tmp'))
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

afterAll(async () => {
  await dir?.remove()
})

/** A listener holding a port, as another program on the machine would. */
async function occupy(host: string): Promise<number> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  cleanups.push(() => new Promise((resolve) => server.close(resolve)))
  return (server.address() as { port: number }).port
}

/** True when something accepts a connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * Runs `attempt` with three free ports (test-support/ports.ts), and again with new ones when it
 * throws a PortInUseError (see `failOnClash`).
 */
function withDemoPorts<T>(attempt: (ports: Record<Setting, number>) => Promise<T>): Promise<T> {
  return withFreePorts(3, ([PORT, CONFIG_SERVER_PORT, DEV_CONFIG_PORT]) =>
    attempt({
      PORT: PORT!,
      CONFIG_SERVER_PORT: CONFIG_SERVER_PORT!,
      DEV_CONFIG_PORT: DEV_CONFIG_PORT!,
    }),
  )
}

/**
 * Throws a PortInUseError when the demo said that a port other than `taken` is in use: another
 * program had one of the test's ports, so the case says nothing and runs again on new ones.
 */
function failOnClash(demo: Running, taken?: number): void {
  for (const match of demo.output().matchAll(/port (\d+) is in use/g)) {
    if (Number(match[1]) !== taken) throw new PortInUseError(Number(match[1]), demo.output())
  }
}

function startDemo(ports: Record<Setting, number>, extra: Record<string, string> = {}): Running {
  const demo = run(process.execPath, [DEMO], {
    cwd: repoRoot,
    env: cleanEnv({
      PORT: String(ports.PORT),
      CONFIG_SERVER_PORT: String(ports.CONFIG_SERVER_PORT),
      DEV_CONFIG_PORT: String(ports.DEV_CONFIG_PORT),
      DEMO_SAMPLES_DIR: samples,
      TMPDIR: join(dir.path, 'tmp'),
      ...extra,
    }),
  })
  cleanups.push(() => demo.stop('SIGKILL'))
  return demo
}

/** The exit code, or a failure when the process is still running after `ms`. */
async function exitWithin(demo: Running, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still running after ${ms} ms:\n${demo.output()}`)),
      ms,
    )
  })
  try {
    return await Promise.race([demo.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}

describe('npm run demo with a port taken', () => {
  for (const setting of SETTINGS) {
    it(`prints one line naming ${setting}, starts nothing and exits 1`, async () => {
      const taken = await occupy('127.0.0.1')
      const { ports, demo } = await withDemoPorts(async (ports) => {
        ports[setting] = taken
        const demo = startDemo(ports)
        expect(await exitWithin(demo, 15_000)).toBe(1)
        failOnClash(demo, taken)
        return { ports, demo }
      })
      const lines = demo.output().trimEnd().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(
        new RegExp(
          `^port ${ports[setting]} is in use: set ${setting} to another port \\(${setting}=\\d+ npm run demo\\)$`,
        ),
      )
      for (const other of SETTINGS.filter((name) => name !== setting)) {
        expect(await accepts(ports[other]), `nothing listens on ${other}`).toBe(false)
      }
    })
  }

  it('names PORT when the app port is taken on every address, not just 127.0.0.1', async () => {
    const taken = await occupy('0.0.0.0')
    const { ports, demo } = await withDemoPorts(async (ports) => {
      ports.PORT = taken
      const demo = startDemo(ports)
      expect(await exitWithin(demo, 15_000)).toBe(1)
      failOnClash(demo, taken)
      return { ports, demo }
    })
    expect(demo.output().trimEnd()).toMatch(
      new RegExp(
        `^port ${ports.PORT} is in use: set PORT to another port \\(PORT=\\d+ npm run demo\\)$`,
      ),
    )
  })

  it('refuses a value that is not a port, and two settings on one port, one line each', async () => {
    // Nothing is bound: the settings are refused first.
    const ports = { PORT: 0, CONFIG_SERVER_PORT: candidatePort(), DEV_CONFIG_PORT: 0 }
    const demo = startDemo(ports, {
      PORT: 'eighty',
      DEV_CONFIG_PORT: String(ports.CONFIG_SERVER_PORT),
    })
    expect(await exitWithin(demo, 15_000)).toBe(1)
    expect(demo.output().trimEnd().split('\n')).toEqual([
      'PORT must be a port number from 1 to 65535 (got "eighty")',
      `CONFIG_SERVER_PORT and DEV_CONFIG_PORT are both ${ports.CONFIG_SERVER_PORT}: set DEV_CONFIG_PORT to another port`,
    ])
  })
})

describe('npm run demo, started', () => {
  beforeAll(() => {
    for (const built of [
      'dist/push/sidecar/main.mjs',
      'dist/push/app/main.mjs',
      'packages/dev-config-server/dist/main.js',
    ]) {
      if (!existsSync(join(repoRoot, built))) {
        throw new Error(`${built} is missing: run npm run build first`)
      }
    }
  })

  it('prints the page address first, once all three listen; Ctrl-C stops them all, exit 0', async () => {
    const { ports, demo } = await withDemoPorts(async (ports) => {
      const demo = startDemo(ports)
      await demo
        .waitForOutput(/Demo page: {3}http:\/\/localhost:\d+\//, 30_000)
        .catch((error: unknown) => {
          failOnClash(demo)
          throw new Error(`${String(error)}\n--- demo output ---\n${demo.output()}`)
        })
      return { ports, demo }
    })
    for (const setting of SETTINGS) {
      expect(await accepts(ports[setting]), `${setting} listens`).toBe(true)
    }
    const firstLine = demo
      .output()
      .split('\n')
      .find((line) => line.trim() !== '')
    expect(firstLine).toBe(`  Demo page:   http://localhost:${ports.PORT}/`)
    // The processes' own lines, held back until then, follow it.
    await demo.waitForOutput(/^sidecar \| .*"config sidecar listening"/)
    demo.child.kill('SIGINT')
    expect(await exitWithin(demo, 10_000)).toBe(0)
    for (const setting of SETTINGS) {
      expect(await accepts(ports[setting]), `${setting} is closed`).toBe(false)
    }
  }, 60_000)

  it('prints no address, and exits 1, when a process stops before it listens', async () => {
    const broken = join(dir.path, 'no-keys')
    await mkdir(join(broken, 'config'), { recursive: true })
    const { ports, demo } = await withDemoPorts(async (ports) => {
      const demo = startDemo(ports, { DEMO_SAMPLES_DIR: broken })
      expect(await exitWithin(demo, 30_000)).toBe(1)
      failOnClash(demo)
      return { ports, demo }
    })
    expect(demo.output()).not.toContain('Demo page')
    expect(demo.output()).toMatch(/^sidecar stopped before it listened \(exit code \d+\)$/m)
    for (const setting of SETTINGS) {
      expect(await accepts(ports[setting]), `${setting} is closed`).toBe(false)
    }
  }, 60_000)
})

describe('the README', () => {
  it('lists the demo ports with their defaults and the settings the demo reads', async () => {
    const { DEMO_PORTS } = (await import(
      pathToFileURL(join(repoRoot, 'scripts', 'demo-ports.mjs')).href
    )) as { DEMO_PORTS: { setting: string; default: number }[] }
    const rows = tableBetween(await readDoc('README.md'), 'demo-ports', 'README.md').map(
      ([port, , setting]) => ({ port, setting }),
    )
    expect(rows).toEqual(
      DEMO_PORTS.map((entry) => ({
        port: `\`${entry.default}\``,
        setting: `\`${entry.setting}\``,
      })),
    )
    expect(DEMO_PORTS.map((entry) => entry.setting)).toEqual([...SETTINGS])
  })
})
