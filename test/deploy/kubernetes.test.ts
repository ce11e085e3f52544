// deploy/kubernetes, structurally: every YAML document parses; each kustomization renders (patches
// applied here with a small strategic merge, and by `kubectl kustomize` where kubectl exists); in
// every rendered pod the sidecar is a native sidecar held back by a startup probe, probes reach
// ports that really listen on the pod IP, CONFIG_* names are known settings, file: settings point
// into mounted volumes, mounts name volumes, the ConfigMap is not mounted with subPath, commands
// name files of the push directory, and the Containerfile builds it with the tests' build.
// Assumes `pnpm build` ran (`npm test` builds first).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { readFile, readdir } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { beforeAll, describe, expect, it } from 'vitest'
import { SETTINGS } from '../../packages/config-sidecar/src/settings/settings.js'

const root = join(import.meta.dirname, '..', '..')
const deployDir = join(root, 'deploy', 'kubernetes')
const pushDir = join(root, 'dist', 'push')
const KNOWN = new Set<string>(SETTINGS.map((setting) => setting.name))

// ---- The Kubernetes shapes the test reads -------------------------------------------------------

interface EnvVar {
  name: string
  value?: string
  valueFrom?: unknown
}
interface Probe {
  httpGet?: { path: string; port: number | string }
  tcpSocket?: { port: number | string }
}
interface Container {
  name: string
  image?: string
  command?: string[]
  args?: string[]
  workingDir?: string
  restartPolicy?: string
  env?: EnvVar[]
  ports?: { name?: string; containerPort: number }[]
  startupProbe?: Probe
  readinessProbe?: Probe
  livenessProbe?: Probe
  resources?: {
    requests?: Record<string, string | number>
    limits?: Record<string, string | number>
  }
  securityContext?: {
    runAsNonRoot?: boolean
    runAsUser?: number
    readOnlyRootFilesystem?: boolean
    allowPrivilegeEscalation?: boolean
    capabilities?: { drop?: string[] }
  }
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[]
}
interface Volume {
  name: string
  configMap?: { name: string }
  secret?: { secretName: string }
  emptyDir?: Record<string, unknown>
}
interface PodSpec {
  enableServiceLinks?: boolean
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number }
  initContainers?: Container[]
  containers: Container[]
  volumes?: Volume[]
}
interface K8sObject {
  apiVersion?: string
  kind?: string
  metadata?: { name?: string }
  spec?: { template?: { spec?: PodSpec } }
  [key: string]: unknown
}
interface Kustomization {
  kind: 'Kustomization'
  resources?: string[]
  patches?: { path?: string }[]
  images?: { name: string; newName?: string; newTag?: string }[]
}
interface YamlFile {
  path: string
  docs: K8sObject[]
}

// ---- Loading and rendering ----------------------------------------------------------------------

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await yamlFiles(full)))
    else if (/\.ya?ml$/.test(entry.name)) out.push(full)
  }
  return out.sort()
}

async function load(path: string): Promise<YamlFile> {
  const docs = parseAllDocuments(await readFile(path, 'utf8'))
  const values: K8sObject[] = []
  for (const doc of docs) {
    expect(
      doc.errors.map((error) => error.message),
      relative(root, path),
    ).toEqual([])
    const value = doc.toJS() as K8sObject | null
    if (value !== null) values.push(value)
  }
  return { path, docs: values }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The list merge keys of the pod spec fields the patches here touch (as the API declares them). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
}

/** A strategic merge patch, enough for these files: keyed lists, `$patch: delete` items. */
function strategicMerge(base: unknown, patch: unknown, field?: string): unknown {
  if (Array.isArray(patch)) {
    const key = field === undefined ? undefined : MERGE_KEYS[field]
    if (key === undefined || !Array.isArray(base)) return patch
    const kept = [...(base as Record<string, unknown>[])]
    const added: unknown[] = []
    for (const item of patch as Record<string, unknown>[]) {
      const index = kept.findIndex((existing) => existing[key] === item[key])
      if (item['$patch'] === 'delete') {
        expect(index, `$patch: delete of a ${field} entry that is not there`).toBeGreaterThan(-1)
        kept.splice(index, 1)
      } else if (index >= 0)
        kept[index] = strategicMerge(kept[index], item) as Record<string, unknown>
      else added.push(item)
    }
    return [...added, ...kept]
  }
  if (isRecord(patch) && isRecord(base)) {
    const out: Record<string, unknown> = { ...base }
    for (const [key, value] of Object.entries(patch)) {
      if (key !== '$patch') out[key] = strategicMerge(base[key], value, key)
    }
    return out
  }
  return patch
}

/** The objects a kustomization directory yields: its resources with its patches applied. */
async function render(dir: string, files: Map<string, YamlFile>): Promise<K8sObject[]> {
  const kustomization = files.get(join(dir, 'kustomization.yaml'))?.docs[0] as
    Kustomization | undefined
  expect(kustomization, `${relative(root, dir)}/kustomization.yaml`).toBeDefined()
  let objects: K8sObject[] = []
  for (const resource of kustomization!.resources ?? []) {
    const path = resolve(dir, resource)
    expect(existsSync(path), `${relative(root, dir)}: resource ${resource}`).toBe(true)
    if (statSync(path).isDirectory()) objects.push(...(await render(path, files)))
    else objects.push(...files.get(path)!.docs)
  }
  for (const { path } of kustomization!.patches ?? []) {
    expect(path, 'patches here are files').toBeDefined()
    const file = resolve(dir, path!)
    expect(existsSync(file), `${relative(root, dir)}: patch ${path}`).toBe(true)
    for (const patch of files.get(file)!.docs) {
      const target = (object: K8sObject): boolean =>
        object.kind === patch.kind && object.metadata?.name === patch.metadata?.name
      expect(objects.some(target), `${path} patches an object of the kustomization`).toBe(true)
      objects =
        patch['$patch'] === 'delete'
          ? objects.filter((object) => !target(object))
          : objects.map((object) =>
              target(object) ? (strategicMerge(object, patch) as K8sObject) : object,
            )
    }
  }
  return objects
}

function podSpecs(objects: K8sObject[]): { where: string; pod: PodSpec }[] {
  return objects
    .filter((object) => object.spec?.template?.spec !== undefined)
    .map((object) => ({
      where: `${object.kind}/${object.metadata?.name}`,
      pod: object.spec!.template!.spec!,
    }))
}

// ---- Reading containers -------------------------------------------------------------------------

const envOf = (container: Container, name: string): string | undefined =>
  container.env?.find((variable) => variable.name === name)?.value

const allContainers = (pod: PodSpec): Container[] => [
  ...(pod.initContainers ?? []),
  ...pod.containers,
]

/** The push-directory script a container runs (`node <script> …`). */
const scriptOf = (container: Container): string | undefined =>
  container.command?.[0] === 'node' ? container.command[1] : undefined

const isSidecar = (container: Container): boolean =>
  scriptOf(container) === 'sidecar/main.mjs' && !(container.command ?? []).includes('once')

/** The volume a path lies in, through the container's mounts (the deepest mount wins). */
function mountFor(
  container: Container,
  path: string,
): { name: string; mountPath: string; subPath?: string; readOnly?: boolean } | undefined {
  return (container.volumeMounts ?? [])
    .filter((mount) => path === mount.mountPath || path.startsWith(`${mount.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0]
}

/** A probe's port as a number: a named containerPort of the container, or a number. */
function probePort(container: Container, probe: Probe): number {
  const port = probe.httpGet?.port ?? probe.tcpSocket?.port
  if (typeof port === 'number') return port
  const named = container.ports?.find((declared) => declared.name === port)
  expect(
    named,
    `${container.name}: probe port "${String(port)}" is a declared containerPort`,
  ).toBeDefined()
  return named!.containerPort
}

/** The ports the container's processes listen on beyond loopback: PORT and CONFIG_HEALTH_PORT. */
function listeningPorts(container: Container): number[] {
  return ['PORT', 'CONFIG_HEALTH_PORT']
    .map((name) => envOf(container, name))
    .filter((value) => value !== undefined)
    .map(Number)
}

/** Bytes from a Kubernetes quantity (Ki, Mi, Gi, K, M, G). */
function bytes(quantity: string | number): number {
  const match = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(String(quantity))
  if (match === null) throw new Error(`not a memory quantity: ${String(quantity)}`)
  const units: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    K: 1e3,
    M: 1e6,
    G: 1e9,
  }
  return Number(match[1]) * (match[2] === undefined ? 1 : units[match[2]]!)
}

// ---- The checks every rendered pod gets ---------------------------------------------------------

function checkPod(where: string, pod: PodSpec): void {
  const volumes = new Map((pod.volumes ?? []).map((volume) => [volume.name, volume]))
  expect(pod.enableServiceLinks, `${where}: enableServiceLinks (no <SERVICE>_PORT variables)`).toBe(
    false,
  )
  for (const container of allContainers(pod)) {
    const at = `${where} ${container.name}`

    for (const mount of container.volumeMounts ?? []) {
      expect(volumes.has(mount.name), `${at}: mount of undefined volume ${mount.name}`).toBe(true)
      if (volumes.get(mount.name)?.configMap !== undefined) {
        // subPath mounts never see ConfigMap updates; the directory mount swaps ..data.
        expect(mount.subPath, `${at}: ConfigMap ${mount.name} mounted with subPath`).toBeUndefined()
      }
    }

    for (const variable of container.env ?? []) {
      if (variable.name.startsWith('CONFIG_')) {
        expect(KNOWN.has(variable.name), `${at}: ${variable.name} is not a known setting`).toBe(
          true,
        )
      }
      if (variable.name.startsWith('CONFIG_') && variable.value?.startsWith('file:') === true) {
        const path = variable.value.slice('file:'.length)
        expect(isAbsolute(path), `${at}: ${variable.name} path is absolute`).toBe(true)
        const mount = mountFor(
          container,
          variable.name === 'CONFIG_SIDECAR_TOKEN' ? dirname(path) : path,
        )
        expect(mount, `${at}: ${variable.name} points into a mounted volume`).toBeDefined()
      }
    }
    const cacheDir = envOf(container, 'CONFIG_CACHE_DIR')
    if (cacheDir !== undefined) {
      const mount = mountFor(container, cacheDir)
      expect(
        mount,
        `${at}: CONFIG_CACHE_DIR on a volume (the root file system is read-only)`,
      ).toBeDefined()
      expect(mount!.readOnly, `${at}: CONFIG_CACHE_DIR writable`).not.toBe(true)
    }

    const script = scriptOf(container)
    expect(script, `${at}: runs node <file> directly`).toBeDefined()
    expect(existsSync(join(pushDir, script!)), `${at}: ${script} in dist/push`).toBe(true)
    expect(container.workingDir, `${at}: runs in the image's WORKDIR`).toBeUndefined()

    const listening = listeningPorts(container)
    for (const declared of container.ports ?? []) {
      expect(
        listening,
        `${at}: containerPort ${declared.containerPort} is PORT or CONFIG_HEALTH_PORT`,
      ).toContain(declared.containerPort)
    }
    for (const probe of [
      container.startupProbe,
      container.readinessProbe,
      container.livenessProbe,
    ]) {
      if (probe === undefined) continue
      const port = probePort(container, probe)
      expect(listening, `${at}: probe port ${port} listens on the pod IP`).toContain(port)
      expect(String(port), `${at}: the data port is 127.0.0.1 only`).not.toBe(
        envOf(container, 'CONFIG_SERVER_PORT'),
      )
    }

    const security = container.securityContext ?? {}
    expect(security.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, `${at}: runAsNonRoot`).toBe(
      true,
    )
    expect(security.readOnlyRootFilesystem, `${at}: readOnlyRootFilesystem`).toBe(true)
    expect(security.allowPrivilegeEscalation, `${at}: allowPrivilegeEscalation`).toBe(false)
    expect(security.capabilities?.drop, `${at}: drops ALL capabilities`).toContain('ALL')

    expect(container.resources?.requests?.['cpu'], `${at}: cpu request`).toBeDefined()
    expect(container.resources?.requests?.['memory'], `${at}: memory request`).toBeDefined()
    expect(container.resources?.limits?.['memory'], `${at}: memory limit`).toBeDefined()
  }
}

/** The checks of a pod running the pair: native sidecar, startup ordering, shared token. */
function checkPair(where: string, pod: PodSpec): void {
  const sidecar = (pod.initContainers ?? []).find(isSidecar)
  expect(sidecar, `${where}: the sidecar is in initContainers`).toBeDefined()
  expect(pod.containers.some(isSidecar), `${where}: the sidecar is not a regular container`).toBe(
    false,
  )
  expect(sidecar!.restartPolicy, `${where}: native sidecar`).toBe('Always')
  const app = pod.containers.find((container) => scriptOf(container) === 'app/main.mjs')
  expect(app, `${where}: the app is in containers`).toBeDefined()

  const healthPort = Number(envOf(sidecar!, 'CONFIG_HEALTH_PORT'))
  expect(healthPort, `${where}: CONFIG_HEALTH_PORT set`).toBeGreaterThan(0)
  const expectProbe = (
    container: Container,
    probe: Probe | undefined,
    path: string,
    port: number,
  ): void => {
    expect(probe?.httpGet?.path, `${where} ${container.name}: probe path`).toBe(path)
    expect(probePort(container, probe!), `${where} ${container.name}: probe port`).toBe(port)
  }
  expectProbe(sidecar!, sidecar!.startupProbe, '/readyz', healthPort)
  expectProbe(sidecar!, sidecar!.readinessProbe, '/readyz', healthPort)
  expectProbe(sidecar!, sidecar!.livenessProbe, '/livez', healthPort)
  const appPort = Number(envOf(app!, 'PORT'))
  expectProbe(app!, app!.readinessProbe, '/readyz', appPort)
  expectProbe(app!, app!.livenessProbe, '/livez', appPort)

  // Both find each other on the same loopback port.
  expect(envOf(app!, 'CONFIG_SERVER_PORT')).toBe(envOf(sidecar!, 'CONFIG_SERVER_PORT'))

  // The token: the same file: path in both, on one emptyDir mounted in both, writable for the sidecar.
  const token = envOf(sidecar!, 'CONFIG_SIDECAR_TOKEN')
  expect(token, `${where}: CONFIG_SIDECAR_TOKEN`).toMatch(/^file:\//)
  expect(envOf(app!, 'CONFIG_SIDECAR_TOKEN'), `${where}: the app reads the same token`).toBe(token)
  const tokenDir = dirname(token!.slice('file:'.length))
  const sidecarMount = mountFor(sidecar!, tokenDir)
  const appMount = mountFor(app!, tokenDir)
  expect(appMount?.name, `${where}: the token volume is shared`).toBe(sidecarMount?.name)
  expect(pod.volumes?.find((volume) => volume.name === sidecarMount?.name)?.emptyDir).toBeDefined()
  expect(sidecarMount?.readOnly, `${where}: the sidecar creates the token`).not.toBe(true)

  // Keys from a Secret volume; the app container never mounts it.
  const keys = envOf(sidecar!, 'CONFIG_KEYS')
  expect(keys, `${where}: CONFIG_KEYS`).toMatch(/^file:\//)
  const keysMount = mountFor(sidecar!, keys!.slice('file:'.length))
  expect(pod.volumes?.find((volume) => volume.name === keysMount?.name)?.secret).toBeDefined()
  expect(app!.volumeMounts?.some((mount) => mount.name === keysMount?.name)).toBe(false)

  // A file source is a ConfigMap mounted as a directory; an HTTP source logs in with file: credentials.
  const source = envOf(sidecar!, 'CONFIG_SOURCE')
  expect(source, `${where}: CONFIG_SOURCE`).toBeDefined()
  if (source!.startsWith('file:')) {
    const mount = mountFor(sidecar!, source!.slice('file:'.length))
    expect(mount?.mountPath, `${where}: the ConfigMap directory is the source`).toBe(
      source!.slice('file:'.length),
    )
    expect(pod.volumes?.find((volume) => volume.name === mount?.name)?.configMap).toBeDefined()
  } else {
    expect(source).toMatch(/^https?:\/\//)
    expect(
      pod.volumes?.some((volume) => volume.configMap !== undefined),
      `${where}: no unused ConfigMap`,
    ).toBe(false)
    const secret = envOf(sidecar!, 'CONFIG_CLIENT_SECRET') ?? envOf(sidecar!, 'CONFIG_BEARER_TOKEN')
    expect(secret, `${where}: upstream credentials from a file`).toMatch(/^file:\//)
  }

  // One image, two commands; the sidecar's memory below the app's.
  expect(sidecar!.image).toBe(app!.image)
  expect(bytes(sidecar!.resources!.limits!['memory']!)).toBeLessThan(
    bytes(app!.resources!.limits!['memory']!),
  )
}

// ---- The Containerfile --------------------------------------------------------------------------

interface Stage {
  from: string
  name: string | undefined
  instructions: { op: string; args: string }[]
}

function stages(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  const out: Stage[] = []
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/)
    const args = rest.join(' ')
    if (op.toUpperCase() === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)
      out.push({ from: match![1]!, name: match![2], instructions: [] })
    } else out.at(-1)!.instructions.push({ op: op.toUpperCase(), args })
  }
  return out
}

// ---- The tests ----------------------------------------------------------------------------------

let files: Map<string, YamlFile>
let kustomizationDirs: string[]
const rendered = new Map<string, K8sObject[]>()

beforeAll(async () => {
  files = new Map()
  for (const path of await yamlFiles(deployDir)) files.set(path, await load(path))
  kustomizationDirs = [...files.values()]
    .filter((file) => file.docs[0]?.kind === 'Kustomization')
    .map((file) => dirname(file.path))
  for (const dir of kustomizationDirs) rendered.set(dir, await render(dir, files))
})

describe('deploy/kubernetes', () => {
  it('parses: every YAML document is an object with a kind', () => {
    expect(files.size).toBeGreaterThan(0)
    for (const file of files.values()) {
      for (const doc of file.docs) expect(doc.kind, relative(root, file.path)).toBeTypeOf('string')
    }
    expect(kustomizationDirs.map((dir) => relative(deployDir, dir)).sort()).toEqual(
      expect.arrayContaining(['base', 'http-source']),
    )
  })

  it('checks every pod of every manifest and every rendered kustomization', () => {
    let pods = 0
    const patchFiles = new Set(
      kustomizationDirs.flatMap((dir) =>
        ((files.get(join(dir, 'kustomization.yaml'))!.docs[0] as Kustomization).patches ?? []).map(
          (patch) => resolve(dir, patch.path!),
        ),
      ),
    )
    for (const file of files.values()) {
      if (patchFiles.has(file.path)) continue
      for (const { where, pod } of podSpecs(file.docs)) {
        checkPod(`${relative(root, file.path)} ${where}`, pod)
        pods++
      }
    }
    for (const [dir, objects] of rendered) {
      for (const { where, pod } of podSpecs(objects)) {
        checkPod(`${relative(root, dir)} (rendered) ${where}`, pod)
        pods++
      }
    }
    expect(pods).toBeGreaterThanOrEqual(4)
  })

  it('runs the pair with a native sidecar, in the base and in the HTTP-source overlay', () => {
    for (const name of ['base', 'http-source']) {
      const objects = rendered.get(join(deployDir, name))!
      const deployments = podSpecs(objects.filter((object) => object.kind === 'Deployment'))
      expect(deployments, name).toHaveLength(1)
      checkPair(`${name} ${deployments[0]!.where}`, deployments[0]!.pod)
    }
  })

  it('mounts a ConfigMap that the base defines, and keeps it out of the HTTP-source overlay', () => {
    const base = rendered.get(join(deployDir, 'base'))!
    const mounted = podSpecs(base).flatMap(({ pod }) =>
      (pod.volumes ?? []).flatMap((volume) => (volume.configMap ? [volume.configMap.name] : [])),
    )
    const defined = base
      .filter((object) => object.kind === 'ConfigMap')
      .map((object) => object.metadata?.name)
    expect(mounted.length).toBeGreaterThan(0)
    for (const name of mounted) expect(defined).toContain(name)
    const overlay = rendered.get(join(deployDir, 'http-source'))!
    expect(overlay.some((object) => object.kind === 'ConfigMap')).toBe(false)
  })

  it('runs one-shot mode in the verify Job with the same source and keys as the base', () => {
    const job = podSpecs(rendered.get(join(deployDir, 'verify-config-job'))!)[0]
    expect(job).toBeDefined()
    const container = job!.pod.containers[0]!
    expect(container.command).toEqual(['node', 'sidecar/main.mjs', 'once'])
    const sidecar = (
      podSpecs(rendered.get(join(deployDir, 'base'))!)[0]!.pod.initContainers ?? []
    ).find(isSidecar)!
    for (const name of ['CONFIG_SOURCE', 'CONFIG_KEYS']) {
      expect(envOf(container, name), name).toBe(envOf(sidecar, name))
    }
  })

  it('renders the same way with kubectl kustomize, where kubectl is installed', (context) => {
    const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' })
    if (kubectl.status !== 0) {
      // CI sets REQUIRE_KUBECTL (its machine image ships kubectl): there a missing kubectl fails
      // instead of skipping, so the check cannot silently stop running.
      expect(
        process.env['REQUIRE_KUBECTL'],
        'kubectl is required (REQUIRE_KUBECTL) but missing',
      ).toBeUndefined()
      context.skip()
      return
    }
    for (const dir of kustomizationDirs) {
      const output = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })
      const objects = parseAllDocuments(output).map((doc) => doc.toJS() as K8sObject)
      const ours = rendered.get(dir)!
      const key = (object: K8sObject): string => `${object.kind}/${object.metadata?.name}`
      expect(objects.map(key).sort(), relative(root, dir)).toEqual(ours.map(key).sort())
      for (const { where, pod } of podSpecs(objects)) {
        checkPod(`${relative(root, dir)} (kubectl kustomize) ${where}`, pod)
        if (pod.initContainers?.some(isSidecar))
          checkPair(`${relative(root, dir)} (kubectl kustomize) ${where}`, pod)
      }
    }
  })
})

describe('deploy/kubernetes/Containerfile', () => {
  let build: Stage
  let runtime: Stage

  beforeAll(async () => {
    const all = stages(await readFile(join(deployDir, 'Containerfile'), 'utf8'))
    expect(all.length).toBeGreaterThanOrEqual(2)
    runtime = all.at(-1)!
    const copy = runtime.instructions.find(
      (step) => step.op === 'COPY' && step.args.includes('--from='),
    )
    expect(copy, 'the runtime stage copies from the builder').toBeDefined()
    const builderName = /--from=(\S+)/.exec(copy!.args)![1]
    build = all.find((stage) => stage.name === builderName)!
    expect(build, `stage ${builderName}`).toBeDefined()
  })

  it('builds with the tests build: pnpm install --frozen-lockfile, then the root build script', async () => {
    const runs = build.instructions.filter((step) => step.op === 'RUN').map((step) => step.args)
    const install = runs.findIndex((command) => /\bpnpm install\b.*--frozen-lockfile/.test(command))
    const buildStep = runs.findIndex((command) => /\bpnpm (run )?build\b/.test(command))
    expect(install, 'pnpm install --frozen-lockfile').toBeGreaterThan(-1)
    expect(buildStep, 'pnpm build').toBeGreaterThan(install)
    // `pnpm build` is the root script that writes the push directory, as `npm test` runs it.
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>
    }
    expect(pkg.scripts['build:packages']).toContain('scripts/build-push.mjs')
    expect(await readFile(join(root, 'scripts', 'run.mjs'), 'utf8')).toMatch(
      /'run', 'build:packages'/,
    )
  })

  it('copies only the push directory into a Node 24 runtime, run as a numeric non-root user', () => {
    expect(runtime.from).toMatch(
      /^(docker\.io\/(library\/)?)?node:24-slim(@sha256:[0-9a-f]+)?$|distroless\/nodejs24/,
    )
    const copies = runtime.instructions.filter((step) => step.op === 'COPY')
    expect(copies).toHaveLength(1)
    expect(copies[0]!.args).toMatch(/\/dist\/push\/?\s+\S+$/)
    const workdir = runtime.instructions.filter((step) => step.op === 'WORKDIR').at(-1)?.args
    expect(copies[0]!.args.trim().split(/\s+/).at(-1)!.replace(/\/$/, '')).toBe(workdir)
    const user = runtime.instructions.filter((step) => step.op === 'USER').at(-1)?.args
    const uid = Number(user?.split(':')[0])
    expect(uid, 'USER is numeric (runAsNonRoot can check it)').toBeGreaterThan(0)
    // The pods run as that user.
    for (const objects of rendered.values()) {
      for (const { where, pod } of podSpecs(objects)) {
        expect(pod.securityContext?.runAsUser ?? uid, where).toBe(uid)
      }
    }
  })

  it('keeps host installs and builds out of the build context', async () => {
    const ignore = (await readFile(join(deployDir, 'Containerfile.dockerignore'), 'utf8'))
      .split('\n')
      .map((line) => line.trim())
    expect(ignore).toContain('**/node_modules')
    expect(ignore).toContain('**/dist')
    expect(ignore).toContain('**/*.tsbuildinfo')
  })

  it('names the image the pods run', () => {
    for (const [dir, objects] of rendered) {
      const kustomization = files.get(join(dir, 'kustomization.yaml'))!.docs[0] as Kustomization
      const images = new Set(
        podSpecs(objects).flatMap(({ pod }) =>
          allContainers(pod).map((container) => container.image),
        ),
      )
      for (const image of images)
        expect(image, relative(root, dir)).toMatch(/^config-sidecar-demo(:|$)/)
      if (kustomization.resources?.some((resource) => resource.endsWith('.yaml'))) {
        expect(
          kustomization.images?.map((entry) => entry.name),
          relative(root, dir),
        ).toContain('config-sidecar-demo')
      }
    }
  })
})
