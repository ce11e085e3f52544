// manifest.yml against the Cloud Foundry manifest schema (SchemaStore, draft-07), plus what the
// schema cannot say: one app, node started directly, commands that name files of the built push
// directory, the sidecar's memory carved out of the app's, a self-contained push directory.
// Assumes `pnpm build` ran (`npm test` builds first).
import { existsSync } from 'node:fs'
import { lstat, readFile, readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { Ajv } from 'ajv'
import { parse } from 'yaml'
import { beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const schemaPath = join(
  root,
  'test',
  'fixtures',
  'schemas',
  'cloudfoundry-application-manifest.schema.json',
)

interface Sidecar {
  name: string
  command: string
  process_types: string[]
  memory?: string
}
interface Application {
  name: string
  path: string
  command: string
  memory: string
  'health-check-type'?: string
  'health-check-http-endpoint'?: string
  'readiness-health-check-type'?: string
  'readiness-health-check-http-endpoint'?: string
  sidecars?: Sidecar[]
}
interface Manifest {
  applications: Application[]
}

/** Megabytes from a Cloud Foundry memory value: M, MB, G or GB, upper or lower case. */
function megabytes(value: string): number {
  const match = /^(\d+)\s*(M|MB|G|GB)$/i.exec(value.trim())
  if (match === null) throw new Error(`not a Cloud Foundry memory value: ${JSON.stringify(value)}`)
  const amount = Number(match[1])
  return match[2]!.toUpperCase().startsWith('G') ? amount * 1024 : amount
}

/** The file a `node <file> …` command runs, or undefined when it does not start with `node `. */
function nodeScript(command: string): string | undefined {
  const match = /^node (\S+)/.exec(command)
  return match?.[1]
}

async function validator(): Promise<(data: unknown) => string[]> {
  const schema = JSON.parse(await readFile(schemaPath, 'utf8')) as { $schema: string }
  expect(schema.$schema).toContain('draft-07')
  const ajv = new Ajv({ allErrors: true, strict: false })
  const validate = ajv.compile(schema)
  return (data) =>
    validate(data)
      ? []
      : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`)
}

/** Every entry under `dir` (files, directories, links), as paths relative to it. */
async function walk(dir: string): Promise<{ path: string; link: boolean; directory: boolean }[]> {
  const out: { path: string; link: boolean; directory: boolean }[] = []
  for (const name of await readdir(dir)) {
    const full = join(dir, name)
    const stats = await lstat(full)
    out.push({
      path: relative(dir, full),
      link: stats.isSymbolicLink(),
      directory: stats.isDirectory(),
    })
    if (stats.isDirectory() && !stats.isSymbolicLink()) {
      for (const inner of await walk(full)) out.push({ ...inner, path: join(name, inner.path) })
    }
  }
  return out
}

let manifest: Manifest
let app: Application
let pushDir: string

beforeAll(async () => {
  manifest = parse(await readFile(join(root, 'manifest.yml'), 'utf8')) as Manifest
  app = manifest.applications[0]!
  pushDir = join(root, app.path)
})

describe('manifest.yml', () => {
  it('validates against the Cloud Foundry manifest schema (draft-07)', async () => {
    const check = await validator()
    expect(check(manifest)).toEqual([])
    // The schema is really applied: a sidecar without a command, or a number for memory, fails.
    const broken = structuredClone(manifest) as unknown as {
      applications: { memory: unknown; sidecars: Record<string, unknown>[] }[]
    }
    broken.applications[0]!.memory = 256
    delete broken.applications[0]!.sidecars[0]!['command']
    expect(check(broken).length).toBeGreaterThanOrEqual(2)
  })

  it('has exactly one app, pushed from the built push directory', () => {
    expect(manifest.applications).toHaveLength(1)
    expect(app.path).toBe('dist/push')
    expect(existsSync(pushDir), `${pushDir} (run pnpm build)`).toBe(true)
  })

  it('starts the app and every sidecar with node directly, on files of the push directory', () => {
    const commands = [app.command, ...(app.sidecars ?? []).map((sidecar) => sidecar.command)]
    expect(commands.length).toBeGreaterThanOrEqual(2)
    for (const command of commands) {
      // node, not npm start: SIGTERM must reach the process that handles it.
      expect(command, command).toMatch(/^node /)
      const script = nodeScript(command)!
      expect(existsSync(join(pushDir, script)), `${script} in ${app.path}`).toBe(true)
    }
  })

  it('names sample files that exist in the push directory', () => {
    const sidecar = app.sidecars![0]!
    const source = /--default-source file:(\S+)/.exec(sidecar.command)?.[1]
    const keys = /--default-keys (\S+)/.exec(sidecar.command)?.[1]
    // Both are named: a loop over what was found could otherwise check nothing.
    expect(source, 'the sidecar command names --default-source file:<path>').toBeDefined()
    expect(keys, 'the sidecar command names --default-keys <path>').toBeDefined()
    for (const path of [source!, keys!]) {
      expect(existsSync(join(pushDir, path)), `${path} in ${app.path}`).toBe(true)
    }
  })

  it('has one sidecar for the web process with less memory than the app', () => {
    expect(app.sidecars).toHaveLength(1)
    const sidecar = app.sidecars![0]!
    expect(sidecar.process_types).toEqual(['web'])
    expect(sidecar.memory, 'the sidecar sets its own memory').toBeDefined()
    // Cloud Foundry refuses a sidecar whose memory is not strictly below the process's; the app
    // is then told MEMORY_LIMIT = app memory − sidecar memory.
    expect(megabytes(sidecar.memory!)).toBeLessThan(megabytes(app.memory))
    expect(megabytes(app.memory) - megabytes(sidecar.memory!)).toBeGreaterThanOrEqual(128)
  })

  it('checks liveness on /livez and readiness on /readyz over HTTP', () => {
    expect(app['health-check-type']).toBe('http')
    expect(app['health-check-http-endpoint']).toBe('/livez')
    expect(app['readiness-health-check-type']).toBe('http')
    expect(app['readiness-health-check-http-endpoint']).toBe('/readyz')
  })

  it('parses Cloud Foundry memory units', () => {
    expect(megabytes('64M')).toBe(64)
    expect(megabytes('256mb')).toBe(256)
    expect(megabytes('1G')).toBe(1024)
    expect(megabytes('2gb')).toBe(2048)
    expect(() => megabytes('256')).toThrow()
    expect(() => megabytes('1T')).toThrow()
  })
})

describe('the push directory (dist/push)', () => {
  it('asks the Node.js buildpack for Node 24 and installs nothing', async () => {
    const pkg = JSON.parse(await readFile(join(pushDir, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >
    const engines = pkg['engines'] as { node?: string } | undefined
    expect(engines?.node).toMatch(/^[\^~]?24(\.|$)/)
    for (const field of [
      'dependencies',
      'devDependencies',
      'optionalDependencies',
      'peerDependencies',
    ]) {
      expect(Object.keys((pkg[field] as object | undefined) ?? {}), field).toEqual([])
    }
    // No lifecycle script that the buildpack (npm) would run at staging.
    const scripts = Object.keys((pkg['scripts'] as object | undefined) ?? {})
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare', 'build']) {
      expect(scripts).not.toContain(hook)
    }
  })

  it('holds no node_modules, no lock file and no symbolic links', async () => {
    const entries = await walk(pushDir)
    expect(entries.length).toBeGreaterThan(0)
    // cf push uploads a symbolic link as a link, which would dangle in the container.
    expect(entries.filter((entry) => entry.link).map((entry) => entry.path)).toEqual([])
    expect(
      entries.filter((entry) => entry.path.split('/').includes('node_modules')).map((e) => e.path),
    ).toEqual([])
    for (const lock of [
      'package-lock.json',
      'pnpm-lock.yaml',
      'yarn.lock',
      'npm-shrinkwrap.json',
    ]) {
      expect(existsSync(join(pushDir, lock)), lock).toBe(false)
    }
  })
})
