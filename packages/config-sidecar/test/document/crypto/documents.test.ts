// Secrets in whole documents, through a real sidecar: decrypted on /config/, hidden by ?redact,
// all-or-nothing on refresh (the last good config stays served and /status names the key path,
// never the value), key rotation and missing keys, no second decryption of unchanged secrets, and
// a document that arrives as one JWE (application/jose).
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { replaceFile, tempDir } from '../../../../../test-support/files.js'
import { startInProcessSidecar } from '../../../../../test-support/in-process-sidecar.js'
import type { InProcessSidecar } from '../../../../../test-support/in-process-sidecar.js'
import {
  asymmetricKey,
  joseEncrypt,
  privateSet,
  publicSet,
  randomSecret,
  tamper,
} from '../../../../../test-support/jose.js'
import type { TestKey } from '../../../../../test-support/jose.js'
import { waitFor } from '../../../../../test-support/wait.js'
import { createDecryptor, encryptSecret } from '../../../src/document/crypto/index.js'
import { prepareConfig } from '../../../src/document/prepare.js'

let rsa: TestKey
let ec: TestKey
let dir: { path: string; remove: () => Promise<void> }
let running: InProcessSidecar[] = []

beforeAll(async () => {
  ;[rsa, ec] = await Promise.all([
    asymmetricKey('RSA', 'app-rsa-1'),
    asymmetricKey('EC', 'app-ec-1'),
  ])
})
beforeEach(async () => {
  dir = await tempDir()
})
afterEach(async () => {
  await Promise.all(running.map((sidecar) => sidecar.stop()))
  running = []
  await dir.remove()
})

async function start(env: Record<string, string>): Promise<InProcessSidecar> {
  const sidecar = await startInProcessSidecar({ CONFIG_CACHE_DIR: join(dir.path, 'cache'), ...env })
  running.push(sidecar)
  await sidecar.firstRefresh
  return sidecar
}

async function writeKeys(name: string, ...keys: TestKey[]): Promise<string> {
  const path = join(dir.path, name)
  await writeFile(path, privateSet(...keys), { mode: 0o600 })
  return path
}

const json = async (response: Response): Promise<unknown> => response.json()

interface Status {
  stale: boolean
  secrets: number
  lastError: { code: string; message: string } | null
}
const statusOf = async (sidecar: InProcessSidecar): Promise<Status> =>
  (await sidecar.get('/status')).json() as Promise<Status>

/** A config with secrets for both keys, in a nested object and in a list. */
async function sampleDocument(values: { password: string; token: string; card: string }) {
  return {
    greeting: 'hello',
    database: {
      url: 'postgres://db.internal:5432/app',
      user: 'app',
      password: await encryptSecret(publicSet(rsa), values.password),
    },
    api: { token: await encryptSecret(publicSet(ec), values.token), timeoutMs: 2500 },
    cards: ['public-card', await encryptSecret(publicSet(rsa), values.card)],
  }
}

describe('a document with secrets', () => {
  it('is served decrypted, ?redact hides exactly the decrypted values, and a bad secret is refused whole', async () => {
    const values = {
      password: randomSecret('pw'),
      token: randomSecret('tok'),
      card: randomSecret('card'),
    }
    const file = join(dir.path, 'app.json')
    const document = await sampleDocument(values)
    await writeFile(file, JSON.stringify(document))
    const keys = await writeKeys('keys.json', rsa, ec)
    const sidecar = await start({ CONFIG_SOURCE: `file:${file}`, CONFIG_KEYS: `file:${keys}` })

    const served = {
      greeting: 'hello',
      database: { url: 'postgres://db.internal:5432/app', user: 'app', password: values.password },
      api: { token: values.token, timeoutMs: 2500 },
      cards: ['public-card', values.card],
    }
    expect(await json(await sidecar.get('/config/'))).toEqual(served)
    expect(await json(await sidecar.get('/config/database/password'))).toBe(values.password)
    expect((await statusOf(sidecar)).secrets).toBe(3)

    const redacted = await sidecar.get('/config/?redact')
    expect(await json(redacted)).toEqual({
      greeting: 'hello',
      database: { url: 'postgres://db.internal:5432/app', user: 'app', password: '[redacted]' },
      api: { token: '[redacted]', timeoutMs: 2500 },
      cards: ['public-card', '[redacted]'],
    })
    expect(await json(await sidecar.get('/config/database?redact'))).toEqual({
      url: 'postgres://db.internal:5432/app',
      user: 'app',
      password: '[redacted]',
    })
    expect(await json(await sidecar.get('/config/api/token?redact'))).toBe('[redacted]')

    // A new version: other values change, the secrets are still good, except one tampered one.
    const next = await sampleDocument({
      password: randomSecret('pw2'),
      token: randomSecret('tok2'),
      card: randomSecret('card2'),
    })
    next.greeting = 'changed'
    next.database.password = `{jwe}${tamper(next.database.password.slice(5), 4)}`
    await replaceFile(file, JSON.stringify(next))
    const status = await waitFor(
      async () => {
        const current = await statusOf(sidecar)
        return current.lastError === null ? undefined : current
      },
      { what: 'the refused refresh' },
    )

    const after = await sidecar.get('/config/')
    expect(after.headers.get('x-config-stale')).toBe('true')
    expect(await json(after)).toEqual(served)
    expect(status.stale).toBe(true)
    expect(status.lastError!.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(status.lastError!.message).toContain('database.password')
    expect(status.lastError!.message).toContain('app-rsa-1')

    const metrics = await (await sidecar.get('/metrics')).text()
    // Counted under its code: once, or more when a retry (after 0.5–1 s) failed again before this
    // read. The exact count per refresh is checked in the metrics' own tests.
    expect(metrics.match(/^config_sidecar_refresh_errors_total\{.*$/gm)).toEqual([
      expect.stringMatching(
        /^config_sidecar_refresh_errors_total\{code="ERR_SECRET_DECRYPTION_FAILED"\} [1-9]\d*$/,
      ),
    ])
    const logged = sidecar.logs.find((line) => line.includes('ERR_SECRET_DECRYPTION_FAILED'))
    expect(logged).toContain('database.password')

    // Neither the old plaintexts nor the new document's are anywhere outside /config/.
    const outside = [JSON.stringify(status), metrics, sidecar.logs.join('')]
    for (const text of outside) {
      for (const value of Object.values(values)) expect(text).not.toContain(value)
      expect(text).not.toContain(next.database.password.slice(5, 40))
    }

    // Fixing the secret is taken at once.
    next.database.password = await encryptSecret(publicSet(rsa), 'fixed')
    await replaceFile(file, JSON.stringify(next))
    await waitFor(
      async () =>
        (await json(await sidecar.get('/config/database/password'))) === 'fixed' || undefined,
      { what: 'the fixed document' },
    )
    expect((await sidecar.get('/config/')).headers.get('x-config-stale')).toBe('false')
  })

  it('refuses an undecryptable secret that arrives in a YAML file, naming the list path', async () => {
    const file = join(dir.path, 'app.yaml')
    const good = await encryptSecret(publicSet(ec), 'good')
    await writeFile(file, `a: 1\nlist:\n  - plain\n  - '${good}'\n`)
    const sidecar = await start({
      CONFIG_SOURCE: `file:${file}`,
      CONFIG_KEYS: privateSet(ec),
    })
    expect(await json(await sidecar.get('/config/'))).toEqual({ a: 1, list: ['plain', 'good'] })

    await replaceFile(file, `a: 2\nlist:\n  - plain\n  - '{jwe}not-a-token'\n`)
    const status = await waitFor(
      async () => ((await statusOf(sidecar)).lastError === null ? undefined : statusOf(sidecar)),
      { what: 'the refused refresh' },
    )
    expect(status.lastError).toMatchObject({ code: 'ERR_SECRET_MALFORMED' })
    expect(status.lastError!.message).toContain('list[1]')
    expect(await json(await sidecar.get('/config/'))).toEqual({ a: 1, list: ['plain', 'good'] })
  })
})

describe('keys in CONFIG_KEYS', () => {
  it('decrypts secrets for two keys (RSA and EC), and refuses the document when one key is removed', async () => {
    const values = {
      password: randomSecret('pw'),
      token: randomSecret('tok'),
      card: randomSecret('c'),
    }
    const file = join(dir.path, 'app.json')
    await writeFile(file, JSON.stringify(await sampleDocument(values)))
    const both = await writeKeys('both.json', rsa, ec)
    const first = await start({ CONFIG_SOURCE: `file:${file}`, CONFIG_KEYS: `file:${both}` })
    expect(await json(await first.get('/config/api'))).toEqual({
      token: values.token,
      timeoutMs: 2500,
    })
    await first.stop()
    running = []
    // The snapshot of the first run is on disk, still encrypted.
    const cached = await readdir(join(dir.path, 'cache'))
    expect(cached.some((name) => name.startsWith('snapshot-'))).toBe(true)

    // Restart with the RSA key only: api.token (EC) cannot be decrypted, so nothing is served,
    // not even the snapshot (it holds the same secret).
    const rsaOnly = await writeKeys('rsa-only.json', rsa)
    const second = await start({ CONFIG_SOURCE: `file:${file}`, CONFIG_KEYS: `file:${rsaOnly}` })
    const refused = await second.get('/config/')
    expect(refused.status).toBe(503)
    expect(await json(refused)).toMatchObject({ error: { code: 'ERR_CONFIG_NOT_READY' } })
    const status = await statusOf(second)
    expect(status.lastError).toMatchObject({ code: 'ERR_SECRET_KEY_NOT_FOUND' })
    expect(status.lastError!.message).toContain('api.token')
    expect(status.lastError!.message).toContain('app-ec-1')
    expect(second.logs.join('')).toContain('the snapshot cannot be used')
    expect(second.logs.join('')).not.toContain(values.password)
  })

  it('rotates without downtime: old and new keys together, then the old one removed', async () => {
    const next = await asymmetricKey('RSA', 'app-rsa-2')
    const file = join(dir.path, 'app.json')
    await writeFile(
      file,
      JSON.stringify({ a: await encryptSecret(publicSet(rsa), 'A'), b: 'plain' }),
    )
    // 1. Both keys in CONFIG_KEYS (a redeploy); the old secrets still decrypt.
    const both = await writeKeys('both.json', rsa, next)
    const sidecar = await start({ CONFIG_SOURCE: `file:${file}`, CONFIG_KEYS: `file:${both}` })
    expect(await json(await sidecar.get('/config/'))).toEqual({ a: 'A', b: 'plain' })
    // 2. Values re-encrypted to the new kid one at a time: a mixed document is fine.
    await writeFile(
      file,
      JSON.stringify({
        a: await encryptSecret(publicSet(rsa), 'A'),
        b: await encryptSecret(publicSet(next), 'B'),
      }),
    )
    await waitFor(async () => (await json(await sidecar.get('/config/b'))) === 'B' || undefined)
    await writeFile(
      file,
      JSON.stringify({
        a: await encryptSecret(publicSet(next), 'A'),
        b: await encryptSecret(publicSet(next), 'B'),
      }),
    )
    await waitFor(async () => {
      const current = await statusOf(sidecar)
      return current.lastError === null && !current.stale ? current : undefined
    })
    // 3. Every value uses the new kid: the old key can go.
    await sidecar.stop()
    running = []
    const newOnly = await writeKeys('new-only.json', next)
    const after = await start({ CONFIG_SOURCE: `file:${file}`, CONFIG_KEYS: `file:${newOnly}` })
    expect(await json(await after.get('/config/'))).toEqual({ a: 'A', b: 'B' })
    expect((await statusOf(after)).lastError).toBeNull()
  })
})

describe('unchanged secrets', () => {
  it('are not decrypted again when the document changes around them', async () => {
    const file = join(dir.path, 'app.json')
    const secrets = {
      a: await encryptSecret(publicSet(rsa), 'A'),
      b: await encryptSecret(publicSet(ec), 'B'),
    }
    await writeFile(file, JSON.stringify({ n: 1, ...secrets }))
    const sidecar = await startInProcessSidecar({
      CONFIG_SOURCE: `file:${file}`,
      CONFIG_KEYS: privateSet(rsa, ec),
      CONFIG_CACHE_DIR: join(dir.path, 'cache'),
    })
    running.push(sidecar)
    expect((await sidecar.firstRefresh).decrypted).toBe(2)
    const decryptedTotal = async (): Promise<number> => {
      const text = await (await sidecar.get('/metrics')).text()
      return Number(/^config_sidecar_secrets_decrypted_total (\d+)/m.exec(text)?.[1])
    }
    expect(await decryptedTotal()).toBe(2)

    // Only a plain value changes: the refresh (by the watcher or by hand) decrypts nothing.
    await replaceFile(file, JSON.stringify({ n: 2, ...secrets }))
    await waitFor(async () => (await json(await sidecar.get('/config/n'))) === 2 || undefined)
    const manual = await sidecar.sidecar.refresher.refresh('manual')
    expect(manual.decrypted).toBe(0)
    expect(await decryptedTotal()).toBe(2)

    // The same secret moved to another key and one new secret: only the new one is decrypted.
    await writeFile(
      file,
      JSON.stringify({
        n: 3,
        moved: { a: secrets.a },
        b: secrets.b,
        c: await encryptSecret(publicSet(rsa), 'C'),
      }),
    )
    await waitFor(async () => (await json(await sidecar.get('/config/n'))) === 3 || undefined)
    expect(await decryptedTotal()).toBe(3)
    expect(await json(await sidecar.get('/config/?redact'))).toEqual({
      n: 3,
      moved: { a: '[redacted]' },
      b: '[redacted]',
      c: '[redacted]',
    })
  })

  it('are counted by prepareConfig: a previous cache means no decryption', async () => {
    const decryptor = await createDecryptor(privateSet(rsa), 'K')
    const body = Buffer.from(
      JSON.stringify({
        x: await encryptSecret(publicSet(rsa), 'X'),
        y: [await encryptSecret(publicSet(rsa), 'Y')],
      }),
    )
    const options = { where: 'test', decryptor, previous: new Map<string, string>() }
    const raw = { documents: [{ body, contentType: 'application/json' }] }
    const first = await prepareConfig(raw, options)
    expect(first.decrypted).toBe(2)
    const again = await prepareConfig(raw, { ...options, previous: first.secrets })
    expect(again.decrypted).toBe(0)
    expect(again.document).toEqual({ x: 'X', y: ['Y'] })
    // Even without a decryptor, cached secrets are served: nothing reaches the keys.
    const cachedOnly = await prepareConfig(raw, {
      ...options,
      decryptor: undefined,
      previous: first.secrets,
    })
    expect(cachedOnly.document).toEqual({ x: 'X', y: ['Y'] })
  })
})

describe('a whole document as one JWE (application/jose)', () => {
  let server: Server | undefined
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve))
    server = undefined
  })

  async function serve(answer: () => { body: string; type: string }): Promise<string> {
    server = createServer((_request, response) => {
      const { body, type } = answer()
      response.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
      response.end(body)
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/app/default`
  }

  it('serves the plaintext document, ?redact hides every value, and the snapshot stays encrypted', async () => {
    const password = randomSecret('pw')
    const inner = await encryptSecret(publicSet(ec), randomSecret('inner'))
    const plaintext = {
      database: { user: 'app', password, port: 5432 },
      flags: [true, 'beta'],
      nested: inner,
    }
    let compact = await joseEncrypt(JSON.stringify(plaintext), rsa, 'RSA-OAEP-256', 'A256GCM')
    const url = await serve(() => ({ body: `${compact}\n`, type: 'application/jose' }))
    const sidecar = await start({
      CONFIG_SOURCE: url,
      CONFIG_KEYS: privateSet(rsa, ec),
      CONFIG_POLL_INTERVAL: '100ms',
    })

    const served = (await json(await sidecar.get('/config/'))) as typeof plaintext
    expect(served.database).toEqual(plaintext.database)
    expect(served.flags).toEqual(plaintext.flags)
    expect(served.nested).toMatch(/^inner-/) // a {jwe} value inside the document decrypts too
    expect(await json(await sidecar.get('/config/?redact'))).toEqual({
      database: { user: '[redacted]', password: '[redacted]', port: '[redacted]' },
      flags: ['[redacted]', '[redacted]'],
      nested: '[redacted]',
    })
    expect(await json(await sidecar.get('/config/database/port?redact'))).toBe('[redacted]')

    const cacheDir = join(dir.path, 'cache')
    const [snapshotName] = (await readdir(cacheDir)).filter((name) => name.startsWith('snapshot-'))
    const snapshot = await readFile(join(cacheDir, snapshotName!), 'utf8')
    expect(snapshot).toContain(compact)
    expect(snapshot).not.toContain(password)

    // A tampered document is refused whole; the last good one stays.
    compact = tamper(compact, 3)
    const status = await waitFor(
      async () => ((await statusOf(sidecar)).lastError === null ? undefined : statusOf(sidecar)),
      { what: 'the refused document' },
    )
    expect(status.lastError).toMatchObject({ code: 'ERR_SECRET_DECRYPTION_FAILED' })
    expect(status.lastError!.message).toContain('encrypted document')
    const after = await sidecar.get('/config/')
    expect(after.headers.get('x-config-stale')).toBe('true')
    expect(((await json(after)) as typeof plaintext).database.password).toBe(password)
  })

  it('reads a YAML plaintext, and refuses the document without CONFIG_KEYS', async () => {
    const compact = await joseEncrypt('a: 1\nb: [x, y]\n', ec, 'ECDH-ES', 'A256CBC-HS512')
    const url = await serve(() => ({ body: compact, type: 'application/jose; charset=utf-8' }))
    const sidecar = await start({ CONFIG_SOURCE: url, CONFIG_KEYS: privateSet(ec) })
    expect(await json(await sidecar.get('/config/'))).toEqual({ a: 1, b: ['x', 'y'] })

    const keyless = await start({ CONFIG_SOURCE: url, CONFIG_CACHE_DIR: join(dir.path, 'other') })
    expect((await keyless.get('/config/')).status).toBe(503)
    expect((await statusOf(keyless)).lastError).toMatchObject({ code: 'ERR_SECRET_NO_KEYS' })
  })
})
