// The shipped demo key set is public (its private keys are in the repository). A sidecar whose
// CONFIG_KEYS holds one of its keys, under its own kid or copied under another, says so: one
// warning at start naming the kid and the way out, and `demoKey` / `demoKeyIds` in /status. With
// keys of its own, or none, it says nothing of the kind.
import { readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { startInProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import type { InProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import { generateKeySet } from '../../src/document/crypto/index.js'
import {
  DEMO_KEY_IDS,
  DEMO_KEY_THUMBPRINTS,
  demoKeyIdsIn,
  jwkThumbprint,
} from '../../src/document/demo-key.js'

const SAMPLES = resolve(import.meta.dirname, '..', '..', '..', '..', 'samples')
const DEMO_PRIVATE = join(SAMPLES, 'demo-only.private.jwks.json')
const DEMO_PUBLIC = join(SAMPLES, 'demo-only.public.jwks.json')

type Jwk = Record<string, string>
const keysOf = async (path: string): Promise<Jwk[]> =>
  (JSON.parse(await readFile(path, 'utf8')) as { keys: Jwk[] }).keys

let sidecar: InProcessSidecar | undefined
let dir: { path: string; remove: () => Promise<void> } | undefined
afterEach(async () => {
  await sidecar?.stop()
  sidecar = undefined
  await dir?.remove()
  dir = undefined
})

/** A sidecar on a small file source with these CONFIG_KEYS. */
async function withKeys(keys: string | undefined): Promise<InProcessSidecar> {
  dir = await tempDir()
  const file = join(dir.path, 'config.json')
  await writeFile(file, JSON.stringify({ greeting: 'hello' }))
  sidecar = await startInProcessSidecar({
    CONFIG_SOURCE: `file:${file}`,
    ...(keys === undefined ? {} : { CONFIG_KEYS: keys }),
  })
  await sidecar.firstRefresh
  return sidecar
}

type Line = Record<string, unknown>
const demoWarnings = (logs: readonly string[]): Line[] =>
  logs
    .map((line) => JSON.parse(line) as Line)
    .filter((line) => String(line['msg']).includes('demo key'))

async function statusOf(running: InProcessSidecar): Promise<Line> {
  const response = await running.get('/status')
  expect(response.status).toBe(200)
  return (await response.json()) as Line
}

describe('the shipped demo key set', () => {
  it('is known by the kids and thumbprints of samples/demo-only.*.jwks.json', async () => {
    for (const path of [DEMO_PUBLIC, DEMO_PRIVATE]) {
      const keys = await keysOf(path)
      expect(keys.map((key) => key['kid'])).toEqual(DEMO_KEY_IDS)
      expect(keys.map((key) => jwkThumbprint(key))).toEqual(DEMO_KEY_THUMBPRINTS)
    }
  })

  it('is found in a key set by kid, or by thumbprint under another kid, and not in other keys', async () => {
    const demo = await keysOf(DEMO_PRIVATE)
    const own = await generateKeySet('ec', 'own-key')
    const copied = { keys: [{ ...demo[1], kid: 'renamed-copy' }, ...own.privateJwks.keys] }
    expect(demoKeyIdsIn(JSON.stringify({ keys: demo }))).toEqual(DEMO_KEY_IDS)
    expect(demoKeyIdsIn(JSON.stringify(copied))).toEqual(['renamed-copy'])
    expect(demoKeyIdsIn(JSON.stringify(own.privateJwks))).toEqual([])
    expect(demoKeyIdsIn('not json')).toEqual([])
  })
})

describe('a sidecar with the demo key', () => {
  it('warns once at start, naming the kids, saying it is public and how to switch', async () => {
    const running = await withKeys(`file:${DEMO_PRIVATE}`)
    const warnings = demoWarnings(running.logs)
    expect(warnings).toHaveLength(1)
    const [warning] = warnings
    expect(warning).toMatchObject({ level: 'warn', kids: DEMO_KEY_IDS.join(',') })
    const text = JSON.stringify(warning)
    expect(text).toContain('public')
    expect(text).toContain('keygen')
    expect(text).toContain('CONFIG_KEYS')
    // No key material: not one private or public member of the demo keys.
    for (const key of await keysOf(DEMO_PRIVATE)) {
      for (const member of ['d', 'p', 'q', 'n', 'x', 'y'])
        if (key[member] !== undefined) expect(running.logs.join('')).not.toContain(key[member])
    }
  })

  it('says so in /status: demoKey true and the kids in demoKeyIds', async () => {
    const running = await withKeys(`file:${DEMO_PRIVATE}`)
    expect(await statusOf(running)).toMatchObject({ demoKey: true, demoKeyIds: DEMO_KEY_IDS })
  })

  it('finds a copy of the demo key under another kid (by its thumbprint)', async () => {
    const [rsa] = await keysOf(DEMO_PRIVATE)
    const running = await withKeys(JSON.stringify({ keys: [{ ...rsa, kid: 'prod-2026' }] }))
    expect(demoWarnings(running.logs)).toMatchObject([{ kids: 'prod-2026' }])
    expect(await statusOf(running)).toMatchObject({ demoKey: true, demoKeyIds: ['prod-2026'] })
  })
})

describe('a sidecar without the demo key', () => {
  it('with keys of its own: no warning, demoKey false', async () => {
    const own = await generateKeySet('ec', 'own-2026')
    const running = await withKeys(JSON.stringify(own.privateJwks))
    expect(demoWarnings(running.logs)).toEqual([])
    expect(await statusOf(running)).toMatchObject({ demoKey: false, demoKeyIds: [] })
  })

  it('with no keys at all: no warning, demoKey false', async () => {
    const running = await withKeys(undefined)
    expect(demoWarnings(running.logs)).toEqual([])
    expect(await statusOf(running)).toMatchObject({ demoKey: false, demoKeyIds: [] })
  })
})
