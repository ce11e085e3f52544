// Refused local callers in the log of the built sidecar: hundreds of refusals of every kind (no
// token, a wrong token, a proxied request, a foreign Host, a method not allowed)
// make a bounded number of lines: the first of each kind at once, then the count of
// the rest (here at SIGTERM, before the minute is up). No token, no Authorization header, and a
// foreign Host only short and sanitised.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { rawRequest } from '../../test-support/http.js'
import { TOKEN, spawnSidecar } from '../../test-support/processes.js'
import type { SidecarProcess } from '../../test-support/processes.js'
import { waitFor } from '../../test-support/wait.js'

let dir: { path: string; remove: () => Promise<void> }
let sidecar: SidecarProcess

beforeAll(async () => {
  dir = await tempDir('reliability-refusals-')
  await writeFile(join(dir.path, 'app.json'), JSON.stringify({ greeting: 'hello' }))
  sidecar = await spawnSidecar(dir.path, { CONFIG_SOURCE: `file:${join(dir.path, 'app.json')}` })
  await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined))
})
afterAll(async () => {
  await sidecar?.stop('SIGKILL')
  await dir?.remove()
})

const WRONG = 'wrong-token-marker-0123456789abcdef'
const LONG_HOST = `evil<script>${'a'.repeat(300)}.example`
/** Each kind of refusal a few times over. */
const ROUNDS = 30

it('logs hundreds of refusals in at most two lines per kind, with the counts, and no token', async () => {
  const kinds: Record<
    string,
    { path: string; method?: string; headers: Record<string, string> }[]
  > = {
    'no-token': [{ path: '/config/', headers: {} }],
    'wrong-token': [
      { path: '/status', headers: { authorization: `Bearer ${WRONG}` } },
      { path: '/config/', headers: { authorization: `Basic ${TOKEN}` } },
    ],
    forwarded: [{ path: '/livez', headers: { 'x-forwarded-for': '203.0.113.9' } }],
    'foreign-host': [
      { path: '/config/', headers: { host: 'rebind.attacker.example:8082' } },
      { path: '/config/', headers: { host: LONG_HOST } },
    ],
    'method-not-allowed': [
      { path: '/config/', method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } },
      { path: '/refresh', headers: { authorization: `Bearer ${TOKEN}` } },
      { path: '/livez', method: 'POST', headers: {} },
    ],
  }
  const STATUS: Record<string, number> = {
    'no-token': 401,
    'wrong-token': 401,
    forwarded: 400,
    'foreign-host': 403,
    'method-not-allowed': 405,
  }
  const sent: Record<string, number> = {}
  for (let round = 0; round < ROUNDS; round += 1) {
    await Promise.all(
      Object.entries(kinds).flatMap(([kind, requests]) =>
        requests.map(async ({ path, method, headers }) => {
          const answer = await rawRequest(`${sidecar.url}${path}`, {
            ...(method === undefined ? {} : { method }),
            headers,
          })
          expect(answer.status, `${kind} ${method ?? 'GET'} ${path}`).toBe(STATUS[kind])
          sent[kind] = (sent[kind] ?? 0) + 1
        }),
      ),
    )
  }

  // Past the connection cap the answer is 429 (test/reliability/streams.test.ts holds 2,048
  // connections open); its refusal line is the same mechanism, checked in the refusal log's unit
  // test (packages/config-sidecar/test/http/refusal-log.test.ts).
  sidecar.expectAlive()

  // SIGTERM: the counts still pending are logged before the process ends.
  expect(await sidecar.stop('SIGTERM')).toBe(0)
  const output = sidecar.proc.output()
  const lines = output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line['msg'] === 'refused a local caller')

  const total = Object.values(sent).reduce((sum, count) => sum + count, 0)
  expect(total).toBeGreaterThan(250)
  expect(lines.length).toBeLessThanOrEqual(2 * Object.keys(sent).length)
  for (const [kind, count] of Object.entries(sent)) {
    const ofKind = lines.filter((line) => line['kind'] === kind)
    expect(ofKind.length, kind).toBeGreaterThanOrEqual(1)
    expect(ofKind.length, kind).toBeLessThanOrEqual(2)
    expect(ofKind[0], kind).toMatchObject({ level: 'warn', count: 1, suppressed: 0 })
    for (const line of ofKind) {
      expect(line['status'], kind).toBe(kind === 'too-many-connections' ? 429 : STATUS[kind])
      expect(String(line['code'])).toMatch(/^ERR_/)
    }
    // Every refusal is counted: the first line's one and the rest in the second.
    const counted = ofKind.reduce((sum, line) => sum + Number(line['count']), 0)
    expect(counted, `${kind}: ${count} refused`).toBe(count)
  }

  expect(output).not.toContain(TOKEN)
  expect(output).not.toContain(WRONG)
  expect(output.toLowerCase()).not.toContain('authorization')
  expect(output.toLowerCase()).not.toMatch(/bearer |basic /)
  expect(output).not.toContain('<script>')
  expect(output).not.toContain('a'.repeat(100))
  for (const line of lines.filter((line) => line['host'] !== undefined))
    expect(String(line['host']).length).toBeLessThanOrEqual(65)
}, 60_000)
