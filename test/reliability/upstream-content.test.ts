// Hostile documents from the upstream, one built sidecar taking them all in turn: garbage, truncated
// JSON, a 50 MiB body, 100k-level nesting, prototype keys, tampered and refused secrets. Between two
// attacks the upstream serves a good document again, so each refusal is seen on its own. Each attack
// must be refused with its code (or, for prototype keys, served as plain data), the last good config
// must stay served (marked stale), the process must stay up with bounded memory, and no secret may
// reach any output.
import { mkdir, rename, rm, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import {
  asymmetricKey,
  headerOf,
  joseEncrypt,
  octKey,
  privateSet,
  randomSecret,
  rsa15Token,
  tamper,
  withHeader,
} from '../../test-support/jose.js'
import { errorCode } from '../../test-support/http.js'
import type { TestKey } from '../../test-support/jose.js'
import { memoryOf, report } from '../../test-support/measure.js'
import { spawnSidecar } from '../../test-support/processes.js'
import type { SidecarProcess } from '../../test-support/processes.js'
import { expectNoSecrets, outputsOf } from '../../test-support/secrets.js'
import { json, raw, startUpstream } from '../../test-support/upstream.js'
import type { FakeUpstream, UpstreamHandler } from '../../test-support/upstream.js'
import { waitFor } from '../../test-support/wait.js'

const MiB = 1024 * 1024

let dir: { path: string; remove: () => Promise<void> }
let upstream: FakeUpstream
let sidecar: SidecarProcess
let rsa: TestKey
let kw: TestKey
const plaintexts: string[] = []
let round = 0

const secret = async (key: TestKey, alg: 'RSA-OAEP-256' | 'A256KW'): Promise<string> => {
  const value = randomSecret('plain')
  plaintexts.push(value)
  return `{jwe}${await joseEncrypt(value, key, alg, 'A256GCM')}`
}

/** The good document of the current round: greeting, round number and a secret. */
let good: { greeting: string; round: number; db: { password: string } }
let goodPassword = ''

async function serveGood(): Promise<void> {
  round += 1
  const password = await secret(rsa, 'RSA-OAEP-256')
  goodPassword = plaintexts.at(-1)!
  good = { greeting: 'hello', round, db: { password } }
  upstream.handle(json(good))
  await waitFor(
    async () => {
      const answer = await sidecar.get('/config/')
      if (answer.status !== 200 || answer.headers['x-config-stale'] !== 'false') return undefined
      const body = JSON.parse(answer.body) as { round?: number }
      return body.round === round ? true : undefined
    },
    { timeoutMs: 5000, what: `good round ${round}` },
  )
}

/** The attack is refused with `code`; the good round is still served, marked stale. */
async function expectRefused(behaviour: UpstreamHandler, code: string): Promise<void> {
  upstream.handle(behaviour)
  const status = await waitFor(
    async () => {
      const current = await sidecar.status()
      return current.stale && current.lastError !== null ? current : undefined
    },
    { timeoutMs: 8000, what: `a refusal (${code})` },
  )
  expect(status.lastError?.code).toBe(code)
  const served = await sidecar.get('/config/')
  expect(served.status).toBe(200)
  expect(served.headers['x-config-stale']).toBe('true')
  expect(JSON.parse(served.body)).toEqual({
    greeting: 'hello',
    round,
    db: { password: goodPassword },
  })
  expect((await sidecar.get('/livez')).status).toBe(200)
  sidecar.expectAlive()
  const memory = await memoryOf(sidecar.pid)
  outcomes.push({ attack: currentAttack, code, ...memory })
  await serveGood()
}

const outcomes: { attack: string; code: string; rssMiB?: number; peakMiB?: number }[] = []
let currentAttack = ''
let baseline: { rssMiB: number; peakMiB: number }

beforeAll(async () => {
  dir = await tempDir('reliability-content-')
  ;[rsa] = await Promise.all([asymmetricKey('RSA', 'rel-rsa')])
  kw = octKey('rel-kw', 32)
  upstream = await startUpstream((_req, res) => res.writeHead(503).end())
  const password = await secret(rsa, 'RSA-OAEP-256')
  goodPassword = plaintexts.at(-1)!
  round = 1
  good = { greeting: 'hello', round, db: { password } }
  upstream.handle(json(good))
  sidecar = await spawnSidecar(dir.path, {
    CONFIG_SOURCE: `${upstream.url}/app/default`,
    CONFIG_KEYS: privateSet(rsa, kw),
  })
  await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined), {
    timeoutMs: 5000,
  })
  baseline = await memoryOf(sidecar.pid)
}, 20_000)

afterAll(async () => {
  if (sidecar !== undefined && !sidecar.alive())
    process.stdout.write(`sidecar died:\n${sidecar.proc.output().slice(-4000)}\n`)
  await sidecar?.stop('SIGKILL')
  await upstream?.close()
  await dir?.remove()
})

/** A deterministic run of bytes that are not a document (a linear congruential generator). */
function garbage(bytes: number): Buffer {
  const out = Buffer.alloc(bytes)
  let x = 12345
  for (let i = 0; i < bytes; i += 1) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    out[i] = x >> 16
  }
  return out
}

let floodSent = 0
/** 50 MiB of a JSON string, streamed with back-pressure; records how much was sent. */
const flood =
  (withLength: boolean): UpstreamHandler =>
  (_req, res) => {
    const total = 50 * MiB
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(withLength ? { 'content-length': total } : {}),
    })
    const chunk = Buffer.alloc(64 * 1024, 0x78)
    let sent = 0
    res.once('close', () => (floodSent = sent))
    const pump = (): void => {
      if (sent === 0) {
        res.write('{"blob":"')
      }
      while (sent < total && !res.destroyed) {
        sent += chunk.length
        if (!res.write(chunk)) {
          res.once('drain', pump)
          return
        }
      }
      if (!res.destroyed) res.end()
    }
    pump()
  }

describe('one sidecar, every hostile document in turn', () => {
  const attack = (name: string, run: () => Promise<void>, timeout = 15_000): void =>
    it(
      name,
      async () => {
        currentAttack = name
        await run()
      },
      timeout,
    )

  attack('garbage bytes as application/json: ERR_DOCUMENT_INVALID', () =>
    expectRefused(raw(garbage(64 * 1024)), 'ERR_DOCUMENT_INVALID'),
  )
  attack('garbage bytes with no content type (read as YAML): ERR_DOCUMENT_INVALID', () =>
    expectRefused(raw(garbage(64 * 1024), undefined), 'ERR_DOCUMENT_INVALID'),
  )
  attack('an HTML login page: ERR_DOCUMENT_INVALID', () =>
    expectRefused(
      raw('<html><body><form>Login</form></body></html>', 'text/html'),
      'ERR_DOCUMENT_INVALID',
    ),
  )
  attack('truncated JSON with correct framing: ERR_DOCUMENT_INVALID', () =>
    expectRefused(raw(JSON.stringify(good).slice(0, 30)), 'ERR_DOCUMENT_INVALID'),
  )
  attack('JSON that is not an object (a list, a string, null): ERR_DOCUMENT_INVALID', async () => {
    await expectRefused(raw('[1,2,3]'), 'ERR_DOCUMENT_INVALID')
    await expectRefused(raw('"just a string"'), 'ERR_DOCUMENT_INVALID')
    await expectRefused(raw('null'), 'ERR_DOCUMENT_INVALID')
  })
  attack('a Spring environment whose source is not an object: ERR_DOCUMENT_INVALID', () =>
    expectRefused(
      json({ propertySources: [{ name: 'x', source: 'nope' }] }),
      'ERR_DOCUMENT_INVALID',
    ),
  )

  attack('50 MiB with Content-Length: cut off, ERR_DOCUMENT_TOO_LARGE, RSS bounded', async () => {
    floodSent = 0
    await expectRefused(flood(true), 'ERR_DOCUMENT_TOO_LARGE')
    await waitFor(() => (floodSent > 0 ? true : undefined), { what: 'the flood to end' })
    expect(floodSent).toBeLessThan(16 * MiB)
    const after = await memoryOf(sidecar.pid)
    report('50 MiB with Content-Length', { sentMiB: floodSent / MiB, baseline, after })
    expect(after.peakMiB - baseline.rssMiB).toBeLessThan(64)
  })
  attack(
    '50 MiB chunked (no length): cut off past 4 MiB, ERR_DOCUMENT_TOO_LARGE, RSS bounded',
    async () => {
      floodSent = 0
      await expectRefused(flood(false), 'ERR_DOCUMENT_TOO_LARGE')
      await waitFor(() => (floodSent > 0 ? true : undefined), { what: 'the flood to end' })
      expect(floodSent).toBeLessThan(16 * MiB)
      const after = await memoryOf(sidecar.pid)
      report('50 MiB chunked', { sentMiB: floodSent / MiB, baseline, after })
      expect(after.peakMiB - baseline.rssMiB).toBeLessThan(64)
    },
  )

  attack('JSON nested 100,000 levels deep (objects and lists): ERR_DOCUMENT_INVALID', async () => {
    const depth = 100_000
    await expectRefused(
      raw(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
      'ERR_DOCUMENT_INVALID',
    )
    await expectRefused(
      raw(`{"list":${'['.repeat(depth)}${']'.repeat(depth)}}`),
      'ERR_DOCUMENT_INVALID',
    )
  })
  attack('YAML nested 100,000 levels deep: ERR_DOCUMENT_INVALID', () =>
    expectRefused(
      raw(`a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, 'application/yaml'),
      'ERR_DOCUMENT_INVALID',
    ),
  )
  attack(
    'a Spring key 100,000 levels deep and a list index of a billion: ERR_DOCUMENT_INVALID',
    async () => {
      await expectRefused(
        json({ propertySources: [{ name: 'deep', source: { ['a.'.repeat(100_000) + 'b']: 1 } }] }),
        'ERR_DOCUMENT_INVALID',
      )
      await expectRefused(
        json({ propertySources: [{ name: 'wide', source: { 'list[999999999]': 1 } }] }),
        'ERR_DOCUMENT_INVALID',
      )
    },
  )

  attack('a JWE with a tampered tag: ERR_SECRET_DECRYPTION_FAILED', async () => {
    const token = (await secret(rsa, 'RSA-OAEP-256')).slice('{jwe}'.length)
    await expectRefused(
      json({ ...good, db: { password: `{jwe}${tamper(token, 4)}` } }),
      'ERR_SECRET_DECRYPTION_FAILED',
    )
  })
  attack('a JWE for an unknown kid: ERR_SECRET_KEY_NOT_FOUND', async () => {
    const stranger = octKey('stranger', 32)
    const token = await joseEncrypt(randomSecret('stranger'), stranger, 'A256KW', 'A256GCM')
    await expectRefused(
      json({ ...good, db: { password: `{jwe}${token}` } }),
      'ERR_SECRET_KEY_NOT_FOUND',
    )
  })
  attack('an RSA1_5 JWE: ERR_SECRET_ALGORITHM_REFUSED', async () => {
    const value = randomSecret('rsa15')
    plaintexts.push(value)
    await expectRefused(
      json({ ...good, db: { password: `{jwe}${rsa15Token(rsa.publicJwk, rsa.kid, value)}` } }),
      'ERR_SECRET_ALGORITHM_REFUSED',
    )
  })
  attack(
    'alg "none", zip and crit headers, and a non-JWE: refused before any decryption',
    async () => {
      const token = (await secret(kw, 'A256KW')).slice('{jwe}'.length)
      const header = headerOf(token)
      await expectRefused(
        json({
          ...good,
          db: { password: `{jwe}${withHeader(token, { ...header, alg: 'none' })}` },
        }),
        'ERR_SECRET_ALGORITHM_REFUSED',
      )
      await expectRefused(
        json({ ...good, db: { password: `{jwe}${withHeader(token, { ...header, zip: 'DEF' })}` } }),
        'ERR_SECRET_ALGORITHM_REFUSED',
      )
      await expectRefused(
        json({
          ...good,
          db: { password: `{jwe}${withHeader(token, { ...header, crit: ['exp'] })}` },
        }),
        'ERR_SECRET_ALGORITHM_REFUSED',
      )
      await expectRefused(
        json({ ...good, db: { password: '{jwe}not.a.jwe' } }),
        'ERR_SECRET_MALFORMED',
      )
    },
  )
  attack(
    'a whole-document JWE (application/jose) with a tampered tag: ERR_SECRET_DECRYPTION_FAILED',
    async () => {
      const token = await joseEncrypt(
        JSON.stringify({ whole: randomSecret('whole') }),
        kw,
        'A256KW',
        'A256GCM',
      )
      await expectRefused(raw(tamper(token, 4), 'application/jose'), 'ERR_SECRET_DECRYPTION_FAILED')
    },
  )

  attack(
    '__proto__, constructor and prototype keys, plain and dotted: served as data, nothing polluted',
    async () => {
      const plain =
        '{"__proto__":{"polluted":"plain"},"constructor":{"prototype":{"polluted":"ctor"}},"prototype":{"polluted":"proto"},"ok":1}'
      upstream.handle(raw(plain))
      const served = await waitFor(async () => {
        const answer = await sidecar.get('/config/')
        return answer.body.includes('"ok":1') ? answer : undefined
      })
      const document = JSON.parse(served.body) as Record<string, unknown>
      expect(Object.hasOwn(document, '__proto__')).toBe(true)
      expect(document['__proto__']).toEqual({ polluted: 'plain' })
      expect(document['constructor']).toEqual({ prototype: { polluted: 'ctor' } })
      expect(JSON.parse((await sidecar.get('/config/__proto__/polluted')).body)).toBe('plain')
      expect(JSON.parse((await sidecar.get('/config/constructor/prototype/polluted')).body)).toBe(
        'ctor',
      )
      await expectNothingPolluted()

      const spring = {
        propertySources: [
          {
            name: 'hostile',
            source: {
              '__proto__.polluted': 'dotted',
              'constructor.prototype.polluted': 'dotted-ctor',
              'prototype.polluted': 'dotted-proto',
              'a.__proto__.b': 'nested',
              'list[0].__proto__.x': 'in-list',
              'map[__proto__]': 'bracketed',
              ok: 2,
            },
          },
        ],
      }
      upstream.handle(json(spring))
      const springServed = await waitFor(async () => {
        const answer = await sidecar.get('/config/')
        return answer.body.includes('"ok":2') ? answer : undefined
      })
      const merged = JSON.parse(springServed.body) as Record<string, Record<string, unknown>>
      expect(merged['__proto__']).toEqual({ polluted: 'dotted' })
      expect(merged['constructor']).toEqual({ prototype: { polluted: 'dotted-ctor' } })
      expect(merged['prototype']).toEqual({ polluted: 'dotted-proto' })
      expect(merged['a']).toEqual(JSON.parse('{"__proto__":{"b":"nested"}}'))
      expect(merged['map']).toEqual(JSON.parse('{"__proto__":"bracketed"}'))
      expect(JSON.parse((await sidecar.get('/config/a/__proto__/b')).body)).toBe('nested')
      await expectNothingPolluted()
      outcomes.push({ attack: currentAttack, code: 'served as data' })
      await serveGood()
    },
  )

  it('afterwards: alive, memory bounded, and no secret in any output', async () => {
    sidecar.expectAlive()
    const after = await memoryOf(sidecar.pid)
    report('content attacks', {
      attacks: outcomes.length,
      baseline,
      after,
      peakMiBAfterEach: outcomes.map((outcome) => outcome.peakMiB),
    })
    // 50 MiB bodies, 100k-level nesting and two dozen refusals: the peak stays within 64 MiB of
    // the start (before the YAML fix, 100k levels of YAML alone took it past +150 MiB).
    expect(after.peakMiB - baseline.rssMiB).toBeLessThan(64)
    const outputs = await outputsOf(sidecar)
    expectNoSecrets(outputs, [
      ...plaintexts,
      rsa.privateJwk.d,
      rsa.privateJwk.p,
      rsa.privateJwk.q,
      kw.privateJwk.k,
      'reliability-token-0123456789abcdef',
    ])
    // Every refusal named its code in the log, with the key path but not the value.
    expect(sidecar.proc.output()).toContain('"code":"ERR_SECRET_DECRYPTION_FAILED"')
    expect(sidecar.proc.output()).toContain('secret at db.password')
  })
})

/** Later, unrelated requests behave as before: nothing inherited appears as config. */
async function expectNothingPolluted(): Promise<void> {
  for (const path of [
    '/config/polluted',
    '/config/ok/polluted',
    '/config/toString',
    '/config/hasOwnProperty',
  ]) {
    const answer = await sidecar.get(path)
    expect(answer.status, path).toBe(404)
    expect(errorCode(answer)).toBe('ERR_CONFIG_PATH_NOT_FOUND')
  }
  const status = await sidecar.get('/status')
  expect(status.status).toBe(200)
  // The last change names the document's keys (polluted ones included: they are data); nothing
  // else in /status may show a polluted prototype.
  const { lastChange, ...rest } = JSON.parse(status.body) as Record<string, unknown>
  expect(lastChange === null || typeof lastChange === 'object').toBe(true)
  expect(JSON.stringify(rest)).not.toContain('polluted')
  const metrics = await sidecar.get('/metrics')
  expect(metrics.status).toBe(200)
  expect(metrics.body).not.toContain('polluted')
  expect(errorCode(await sidecar.get('/nowhere'))).toBe('ERR_NOT_FOUND')
  expect(
    (await sidecar.get('/config/', { headers: { authorization: 'Bearer wrong-token-0123456789' } }))
      .status,
  ).toBe(401)
}

describe('a file source: alias bomb, 50 MiB file, deep YAML, prototype keys', () => {
  let fileSidecar: SidecarProcess
  let configDir: string
  let fileBaseline: { rssMiB: number; peakMiB: number }
  let version = 0

  /** Replaces app.yaml whole (temp file, then rename), as a careful writer does. */
  const writeConfig = async (name: string, text: string): Promise<void> => {
    const temp = join(configDir, `.${name}.tmp`)
    await writeFile(temp, text)
    await rename(temp, join(configDir, name))
  }
  const fileGood = async (): Promise<void> => {
    version += 1
    await writeConfig('app.yaml', `greeting: hello\nversion: ${version}\n`)
    await waitFor(
      async () => {
        const answer = await fileSidecar.get('/config/')
        return answer.headers['x-config-stale'] === 'false' &&
          (JSON.parse(answer.body) as { version?: number }).version === version
          ? true
          : undefined
      },
      { timeoutMs: 5000, what: `file version ${version}` },
    )
  }
  const fileRefused = async (write: () => Promise<void>, code: string): Promise<void> => {
    await write()
    const status = await waitFor(
      async () => {
        // A read that met the previous rename half way is refused first (ERR_SOURCE_UNREADABLE,
        // read again at once): wait for the refusal of the document itself.
        const current = await fileSidecar.status()
        return current.stale && current.lastError?.code === code ? current : undefined
      },
      { timeoutMs: 8000, what: `a refusal (${code})` },
    )
    expect(status.lastError?.code).toBe(code)
    const served = await fileSidecar.get('/config/')
    expect(served.status).toBe(200)
    expect(JSON.parse(served.body)).toEqual({ greeting: 'hello', version })
    fileSidecar.expectAlive()
  }

  beforeAll(async () => {
    configDir = join(dir.path, 'config')
    await mkdir(configDir)
    version = 1
    await writeFile(join(configDir, 'app.yaml'), 'greeting: hello\nversion: 1\n')
    fileSidecar = await spawnSidecar(join(dir.path), {
      CONFIG_SOURCE: `file:${configDir}`,
      CONFIG_CACHE_DIR: join(dir.path, 'file-cache'),
    })
    await waitFor(async () =>
      (await fileSidecar.get('/config/')).status === 200 ? true : undefined,
    )
    fileBaseline = await memoryOf(fileSidecar.pid)
  })
  afterAll(async () => {
    await fileSidecar?.stop('SIGKILL')
  })

  it('a YAML alias bomb (a billion laughs): ERR_DOCUMENT_INVALID, RSS bounded', async () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (const [name, previous] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
      ['g', 'f'],
      ['h', 'g'],
      ['i', 'h'],
    ] as const)
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`)
    await fileRefused(
      () => writeConfig('app.yaml', `${laughs.join('\n')}\n`),
      'ERR_DOCUMENT_INVALID',
    )
    expect(fileSidecar.proc.output()).toContain('alias bomb')
    await fileGood()
  })
  it('a 50 MiB file (sparse): ERR_DOCUMENT_TOO_LARGE before it is read', async () => {
    await fileRefused(async () => {
      const temp = join(configDir, '.big.tmp')
      await writeFile(temp, '')
      await truncate(temp, 50 * MiB)
      await rename(temp, join(configDir, 'big.json'))
    }, 'ERR_DOCUMENT_TOO_LARGE')
    await rm(join(configDir, 'big.json'))
    await fileGood()
  })
  it('YAML nested 100,000 levels (flow and compact lists) and duplicate keys: ERR_DOCUMENT_INVALID', async () => {
    await fileRefused(
      () => writeConfig('app.yaml', `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`),
      'ERR_DOCUMENT_INVALID',
    )
    await fileGood()
    await fileRefused(
      () => writeConfig('app.yaml', `${'- '.repeat(100_000)}x\n`),
      'ERR_DOCUMENT_INVALID',
    )
    await fileGood()
    await fileRefused(() => writeConfig('app.yaml', 'a: 1\nb: 2\na: 3\n'), 'ERR_DOCUMENT_INVALID')
    await fileGood()
    const after = await memoryOf(fileSidecar.pid)
    report('file source attacks', { baseline: fileBaseline, after })
    expect(after.peakMiB - fileBaseline.rssMiB).toBeLessThan(48)
  })
  it('__proto__, constructor and prototype keys in YAML: served as data, nothing polluted', async () => {
    await writeConfig(
      'app.yaml',
      '__proto__: {polluted: yaml}\nconstructor:\n  prototype:\n    polluted: yaml-ctor\nprototype: {polluted: 1}\nok: 3\n',
    )
    const answer = await waitFor(async () => {
      const current = await fileSidecar.get('/config/')
      return current.body.includes('"ok":3') ? current : undefined
    })
    const document = JSON.parse(answer.body) as Record<string, unknown>
    expect(document['__proto__']).toEqual({ polluted: 'yaml' })
    expect(document['constructor']).toEqual({ prototype: { polluted: 'yaml-ctor' } })
    for (const path of ['/config/polluted', '/config/ok/polluted', '/config/toString']) {
      expect((await fileSidecar.get(path)).status).toBe(404)
    }
    expect((await fileSidecar.get('/status')).status).toBe(200)
    await fileGood()
    fileSidecar.expectAlive()
  })
})
