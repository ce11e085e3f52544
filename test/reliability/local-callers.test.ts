// Local callers that misbehave, against the built sidecar: no token, a wrong one, proxied requests,
// a foreign Host, oversized headers, odd methods and paths. Each is refused with its status and
// code, and the process stays up. (The slowloris is in network-faults.test.ts, where its 10 s wait
// overlaps the other slow cases.)
import { connect } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { errorCode, rawRequest } from '../../test-support/http.js'
import { TOKEN, spawnSidecar } from '../../test-support/processes.js'
import type { SidecarProcess } from '../../test-support/processes.js'
import { expectNoSecrets, outputsOf } from '../../test-support/secrets.js'
import { waitFor } from '../../test-support/wait.js'

let dir: { path: string; remove: () => Promise<void> }
let sidecar: SidecarProcess

beforeAll(async () => {
  dir = await tempDir('reliability-callers-')
  await writeFile(join(dir.path, 'app.json'), JSON.stringify({ greeting: 'hello', list: [1, 2] }))
  sidecar = await spawnSidecar(dir.path, { CONFIG_SOURCE: `file:${join(dir.path, 'app.json')}` })
  await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined))
})
afterAll(async () => {
  await sidecar?.stop('SIGKILL')
  await dir?.remove()
})

/** Writes raw bytes and resolves with everything the sidecar answers before it closes. */
function rawExchange(port: number, bytes: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (answer += chunk))
    socket.on('close', () => resolve(answer))
    socket.on('error', reject)
    socket.setTimeout(timeoutMs, () => socket.destroy())
    socket.write(bytes)
  })
}

describe('refusals, each with its status and code', () => {
  const cases: {
    name: string
    path: string
    method?: string
    headers: Record<string, string>
    status: number
    code: string
  }[] = [
    {
      name: 'no token',
      path: '/config/',
      headers: { authorization: '' },
      status: 401,
      code: 'ERR_UNAUTHORIZED',
    },
    {
      name: 'a wrong token',
      path: '/config/',
      headers: { authorization: 'Bearer wrong-token-0123456789abcdef' },
      status: 401,
      code: 'ERR_UNAUTHORIZED',
    },
    {
      name: 'the token in another scheme',
      path: '/status',
      headers: { authorization: `Basic ${TOKEN}` },
      status: 401,
      code: 'ERR_UNAUTHORIZED',
    },
    {
      name: 'X-Forwarded-For',
      path: '/config/',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      status: 400,
      code: 'ERR_FORWARDED_REQUEST',
    },
    {
      name: 'Forwarded',
      path: '/livez',
      headers: { forwarded: 'for=203.0.113.9' },
      status: 400,
      code: 'ERR_FORWARDED_REQUEST',
    },
    {
      name: 'a foreign Host (DNS rebinding)',
      path: '/config/',
      headers: { host: 'attacker.example:8082' },
      status: 403,
      code: 'ERR_HOST_NOT_ALLOWED',
    },
    {
      name: 'a Host that only starts like localhost',
      path: '/config/',
      headers: { host: 'localhost.attacker.example' },
      status: 403,
      code: 'ERR_HOST_NOT_ALLOWED',
    },
    {
      name: 'DELETE on config',
      path: '/config/',
      method: 'DELETE',
      headers: {},
      status: 405,
      code: 'ERR_METHOD_NOT_ALLOWED',
    },
    {
      name: 'GET /refresh',
      path: '/refresh',
      headers: {},
      status: 405,
      code: 'ERR_METHOD_NOT_ALLOWED',
    },
    {
      name: 'bad percent-encoding',
      path: '/config/%E0%A4%A',
      headers: {},
      status: 400,
      code: 'ERR_BAD_REQUEST',
    },
    {
      name: 'a bad wait',
      path: '/config/?wait=-1',
      headers: { 'if-none-match': '*' },
      status: 400,
      code: 'ERR_BAD_REQUEST',
    },
    {
      name: 'path traversal (encoded slashes)',
      path: '/config/..%2f..%2fetc%2fpasswd',
      headers: {},
      status: 404,
      code: 'ERR_CONFIG_PATH_NOT_FOUND',
    },
    {
      name: 'an inherited name as a path',
      path: '/config/list/length',
      headers: {},
      status: 404,
      code: 'ERR_CONFIG_PATH_NOT_FOUND',
    },
    { name: 'an unknown route', path: '/admin', headers: {}, status: 404, code: 'ERR_NOT_FOUND' },
  ]
  for (const testCase of cases) {
    it(`${testCase.name}: ${testCase.status} ${testCase.code}`, async () => {
      const headers = { ...testCase.headers }
      const answer =
        headers['authorization'] === ''
          ? await rawRequest(`${sidecar.url}${testCase.path}`, {
              method: testCase.method ?? 'GET',
              headers: Object.fromEntries(
                Object.entries(headers).filter(([name]) => name !== 'authorization'),
              ),
            })
          : await sidecar.get(testCase.path, { method: testCase.method ?? 'GET', headers })
      expect(answer.status).toBe(testCase.status)
      expect(errorCode(answer)).toBe(testCase.code)
      expect(answer.body).not.toContain(TOKEN)
    })
  }

  it('a header block over 16 KiB: 431, the connection closed, the process alive', async () => {
    const answer = await rawExchange(
      sidecar.port,
      `GET /config/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN}\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
    )
    expect(answer).toMatch(/^HTTP\/1\.1 431 /)
    const many = await rawExchange(
      sidecar.port,
      `GET /config/ HTTP/1.1\r\nHost: localhost\r\n${Array.from({ length: 5000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`,
    )
    expect(many).toMatch(/^HTTP\/1\.1 431 /)
    sidecar.expectAlive()
    expect((await sidecar.get('/config/')).status).toBe(200)
  })

  it('literal path traversal: 404 ERR_CONFIG_PATH_NOT_FOUND (segments are keys, never files)', async () => {
    const answer = await rawExchange(
      sidecar.port,
      `GET /config/../../../etc/passwd HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`,
    )
    expect(answer).toMatch(/^HTTP\/1\.1 404 /)
    expect(answer).toContain('ERR_CONFIG_PATH_NOT_FOUND')
  })

  it('HTTP garbage and a bare CR: 400, the process alive', async () => {
    expect(await rawExchange(sidecar.port, 'BANANA\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /)
    expect(await rawExchange(sidecar.port, 'GET / HTTP/1.1\rHost: x\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 400 /,
    )
    sidecar.expectAlive()
    expect((await sidecar.get('/config/')).status).toBe(200)
  })

  it('no token or other secret in any output afterwards', async () => {
    expectNoSecrets(await outputsOf(sidecar), [TOKEN])
  })
})
