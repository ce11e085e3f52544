// No secret leaks: the built sidecar runs as a real process (build first: `npx tsc -b`) with known
// random plaintexts and keys passed inline in its environment. It is driven through successes and
// failures (a bad secret, wrong tokens, missing paths, refused requests), and then everything it
// said and wrote (stdout, stderr, every answer except the decrypted config itself, /status,
// /metrics and every file in CONFIG_CACHE_DIR) is searched for the plaintexts, the private keys'
// fields and the local token.
import { existsSync } from 'node:fs'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../../test-support/files.js'
import { rawRequest } from '../../../../../test-support/http.js'
import {
  asymmetricKey,
  headerOf,
  privateSet,
  publicSet,
  randomSecret,
  tamper,
  withHeader,
} from '../../../../../test-support/jose.js'
import type { TestKey } from '../../../../../test-support/jose.js'
import { cleanEnv, spawnOnFreePort } from '../../../../../test-support/processes.js'
import type { Running } from '../../../../../test-support/processes.js'
import { waitFor } from '../../../../../test-support/wait.js'
import { encryptSecret } from '../../../src/document/crypto/index.js'

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../../../dist/main.js')
const PRIVATE_FIELDS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const

let dir: { path: string; remove: () => Promise<void> }
let sidecar: Running | undefined
let rsa: TestKey
let ec: TestKey

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -b)`)
  dir = await tempDir()
  ;[rsa, ec] = await Promise.all([asymmetricKey('RSA', 'leak-rsa'), asymmetricKey('EC', 'leak-ec')])
})
afterAll(async () => {
  await sidecar?.stop('SIGKILL')
  await dir.remove()
})

describe('the built sidecar', () => {
  it('never shows a plaintext secret, a private key or its token outside /config/', async () => {
    const plaintexts: string[] = []
    const secret = (label: string): string => {
      const value = randomSecret(label)
      plaintexts.push(value)
      return value
    }
    const encryptTo = (key: TestKey, value: string): Promise<string> =>
      encryptSecret(publicSet(key), value)

    const file = join(dir.path, 'app.yaml')
    const cacheDir = join(dir.path, 'cache')
    const good = {
      password: await encryptTo(rsa, secret('password')),
      token: await encryptTo(ec, secret('token')),
      listed: await encryptTo(rsa, secret('listed')),
    }
    await writeFile(
      file,
      [
        'database:',
        '  user: app',
        `  password: '${good.password}'`,
        'api:',
        `  token: '${good.token}'`,
        'items:',
        '  - plain',
        `  - '${good.listed}'`,
        '',
      ].join('\n'),
    )
    const localToken = `local-${randomSecret('token')}`
    const started = await spawnOnFreePort(process.execPath, [MAIN], {
      cwd: dir.path,
      ready: /config sidecar listening/,
      env: (port) =>
        cleanEnv({
          CONFIG_SERVER_PORT: String(port),
          CONFIG_SOURCE: `file:${file}`,
          // Inline, so the keys are in the process environment too.
          CONFIG_KEYS: privateSet(rsa, ec),
          CONFIG_SIDECAR_TOKEN: localToken,
          CONFIG_CACHE_DIR: cacheDir,
          CONFIG_POLL_INTERVAL: '200ms',
          CONFIG_LOG_LEVEL: 'debug',
          CONFIG_TYPO_SETTING: 'x',
        }),
    })
    sidecar = started.proc
    const base = `http://127.0.0.1:${started.port}`
    const auth = { authorization: `Bearer ${localToken}` }
    const get = (path: string, headers: Record<string, string> = auth, method = 'GET') =>
      rawRequest(`${base}${path}`, { method, headers })
    await waitFor(async () => ((await get('/readyz', {})).status === 200 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the sidecar to be ready',
    })

    // The decrypted config is the one place the plaintexts belong.
    const config = await get('/config/')
    expect(config.status).toBe(200)
    for (const value of plaintexts) expect(config.body).toContain(value)

    const seen: { what: string; text: string }[] = []
    const keep = (what: string, response: { status: number; headers: object; body: string }) => {
      seen.push({
        what,
        text: `${response.status} ${JSON.stringify(response.headers)} ${response.body}`,
      })
      return response
    }
    const requests: [string, string, Record<string, string>, string?][] = [
      ['redacted', '/config/?redact', auth],
      ['redacted path', '/config/database/password?redact', auth],
      ['redacted list', '/config/items?redact', auth],
      ['wrong token', '/config/', { authorization: 'Bearer wrong-token-0123456789' }],
      ['no token', '/config/database/password', {}],
      ['missing path', '/config/database/nope', auth],
      ['path below a secret', '/config/database/password/deeper', auth],
      [
        'bad wait',
        '/config/?wait=abc',
        { ...auth, 'if-none-match': String(config.headers['etag']) },
      ],
      ['bad method', '/config/', auth, 'DELETE'],
      ['unknown route', '/secrets', auth],
      ['forwarded', '/config/', { ...auth, 'x-forwarded-for': '10.0.0.1' }],
      ['foreign host', '/config/', { ...auth, host: 'evil.example' }],
      ['status', '/status', auth],
      ['metrics', '/metrics', auth],
      ['livez', '/livez', {}],
      ['readyz', '/readyz', {}],
    ]
    for (const [what, path, headers, method] of requests) {
      keep(what, await get(path, headers, method))
    }
    expect(seen.find((entry) => entry.what === 'wrong token')!.text).toMatch(/^401 /)
    expect(seen.find((entry) => entry.what === 'missing path')!.text).toMatch(/^404 /)
    expect(seen.find((entry) => entry.what === 'bad wait')!.text).toMatch(/^400 /)
    expect(seen.find((entry) => entry.what === 'redacted')!.text).toContain('[redacted]')

    // New versions that are refused: a bad secret among new good ones, a kid nobody holds, a
    // truncated token, a key of the wrong type, and a broken document holding a plaintext.
    const stranger = await asymmetricKey('EC', 'not-held')
    const ecToken = (await encryptTo(ec, secret('wrong-type'))).slice(5)
    const badVersions: { text: string; code: string; mentions: string }[] = [
      {
        text: `a: '${await encryptTo(rsa, secret('new'))}'\nb: '{jwe}${tamper((await encryptTo(ec, secret('tampered'))).slice(5), 3)}'\n`,
        code: 'ERR_SECRET_DECRYPTION_FAILED',
        mentions: 'secret at b ',
      },
      {
        text: `a: '${await encryptTo(stranger, secret('unknown-kid'))}'\n`,
        code: 'ERR_SECRET_KEY_NOT_FOUND',
        mentions: 'not-held',
      },
      {
        text: `a: '{jwe}${(await encryptTo(rsa, secret('truncated'))).slice(5, 60)}'\n`,
        code: 'ERR_SECRET_MALFORMED',
        mentions: 'secret at a ',
      },
      {
        text: `a: [1, '{jwe}${withHeader(ecToken, { ...headerOf(ecToken), kid: 'leak-rsa' })}']\n`,
        code: 'ERR_SECRET_DECRYPTION_FAILED',
        mentions: 'secret at a[1] ',
      },
      {
        text: `a: 1\nb: "${secret('unencrypted')}\n  c: [\n`,
        code: 'ERR_DOCUMENT_INVALID',
        mentions: 'YAML',
      },
    ]
    for (const [index, version] of badVersions.entries()) {
      await writeFile(file, version.text)
      await waitFor(
        async () => {
          const { lastError } = JSON.parse((await get('/status')).body) as {
            lastError: { code: string; message: string } | null
          }
          return lastError?.code === version.code && lastError.message.includes(version.mentions)
            ? lastError
            : undefined
        },
        { what: `refused version ${index} (${version.code})` },
      )
      keep(`refresh ${index}`, await get('/refresh', auth, 'POST'))
      keep(`status ${index}`, await get('/status'))
      keep(`metrics ${index}`, await get('/metrics'))
      const stale = await get('/config/')
      expect(stale.headers['x-config-stale']).toBe('true')
      expect(stale.body).toBe(config.body)
    }

    expect(await sidecar.stop('SIGTERM')).toBe(0)
    const output = sidecar.output()
    expect(output).toContain('refresh failed')
    expect(output).toMatch(/secret at b .*leak-ec/)

    // Every file the sidecar wrote.
    const cached = await readdir(cacheDir)
    expect(cached.length).toBeGreaterThan(0)
    const snapshots = cached.filter((name) => name.startsWith('snapshot-'))
    expect(snapshots).toHaveLength(1)
    const files: { what: string; text: string }[] = []
    for (const name of cached) {
      // Files only: the compile cache (Node 22+) is a directory of compiled code, not config.
      if (!(await stat(join(cacheDir, name))).isFile()) continue
      files.push({ what: `file ${name}`, text: await readFile(join(cacheDir, name), 'utf8') })
    }
    const snapshotPath = join(cacheDir, snapshots[0]!)
    expect((await stat(snapshotPath)).mode & 0o777).toBe(0o600)
    const snapshot = await readFile(snapshotPath, 'utf8')
    for (const ciphertext of Object.values(good)) expect(snapshot).toContain(ciphertext)

    const everything = [{ what: 'output', text: output }, ...seen, ...files]
    const forbidden = [
      ...plaintexts.map((value) => ({ name: 'a plaintext secret', value })),
      ...[rsa, ec].flatMap((key) =>
        PRIVATE_FIELDS.flatMap((field) => {
          const value = key.privateJwk[field]
          // A prefix finds a key printed in part or wrapped too.
          return value === undefined
            ? []
            : [{ name: `${key.kid}.${field}`, value: value.slice(0, 16) }]
        }),
      ),
      { name: 'the local token', value: localToken },
    ]
    expect(forbidden.filter((entry) => entry.name === 'leak-rsa.d')).toHaveLength(1)
    const leaks = everything.flatMap(({ what, text }) =>
      forbidden.filter(({ value }) => text.includes(value)).map(({ name }) => `${name} in ${what}`),
    )
    expect(leaks).toEqual([])
  })
})
