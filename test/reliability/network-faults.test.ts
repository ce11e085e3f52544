// Network faults on both sides of the built sidecar. Upstream: down at start, dying mid-answer,
// headers that never end, a body that trickles, 5xx storms, 401 loops, protocol garbage and
// redirects. Local side: a slowloris of 200 sockets. Each case has its own sidecar; they run
// concurrently, so the file lasts as long as its slowest case (the real 30 s whole-answer limit of
// the trickling body) and the real 10 s timeouts overlap it.
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import type { ExpectStatic } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { errorCode } from '../../test-support/http.js'
import { memoryOf, report } from '../../test-support/measure.js'
import { TOKEN, spawnSidecar } from '../../test-support/processes.js'
import type { SidecarProcess } from '../../test-support/processes.js'
import { expectNoSecrets, outputsOf } from '../../test-support/secrets.js'
import { json, startUpstream } from '../../test-support/upstream.js'
import type { FakeUpstream, UpstreamHandler } from '../../test-support/upstream.js'
import { sleep, waitFor } from '../../test-support/wait.js'

let dir: { path: string; remove: () => Promise<void> }
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  dir = await tempDir('reliability-faults-')
})
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup().catch(() => undefined)))
  await dir?.remove()
})

const GOOD = { greeting: 'hello', nested: { value: 42 } }

/** A sidecar on a hostile upstream that first serves GOOD; both are stopped after the file. */
async function setUp(
  name: string,
  env: Record<string, string> = {},
): Promise<{ upstream: FakeUpstream; sidecar: SidecarProcess }> {
  const upstream = await startUpstream(json(GOOD))
  cleanups.push(() => upstream.close())
  const sidecar = await spawnSidecar(dir.path, {
    CONFIG_SOURCE: `${upstream.url}/app/default`,
    CONFIG_CACHE_DIR: `${dir.path}/cache-${name}`,
    ...env,
  })
  cleanups.push(() => sidecar.stop('SIGKILL'))
  await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined), {
    timeoutMs: 5000,
    what: `${name}: first config`,
  })
  return { upstream, sidecar }
}

/** The last good config is served, marked stale, quickly; the process is alive. */
async function expectLastGoodServed(expect: ExpectStatic, sidecar: SidecarProcess): Promise<void> {
  const answer = await sidecar.get('/config/')
  expect(answer.status).toBe(200)
  expect(JSON.parse(answer.body)).toEqual(GOOD)
  expect(answer.headers['x-config-stale']).toBe('true')
  expect(answer.ms).toBeLessThan(500)
  expect((await sidecar.get('/livez')).status).toBe(200)
  sidecar.expectAlive()
}

/** How many refreshes failed with `code`, from /metrics. */
async function failures(sidecar: SidecarProcess, code: string): Promise<number> {
  const match = new RegExp(`config_sidecar_refresh_errors_total\\{code="${code}"\\} (\\d+)`).exec(
    await sidecar.metrics(),
  )
  return match === null ? 0 : Number(match[1])
}

/** After the first slow answer is cut, the upstream answers 503 at once (no second long wait). */
const fastFailure: UpstreamHandler = (_req, res) => res.writeHead(503).end()

/** The upstream comes back: the sidecar follows within the capped back-off (2 s at 200 ms polls). */
async function expectRecovery(
  expect: ExpectStatic,
  upstream: FakeUpstream,
  sidecar: SidecarProcess,
): Promise<void> {
  upstream.handle(json({ ...GOOD, recovered: true }))
  const answer = await waitFor(
    async () => {
      const current = await sidecar.get('/config/')
      return current.body.includes('"recovered":true') ? current : undefined
    },
    { timeoutMs: 4000, what: 'recovery' },
  )
  expect(answer.headers['x-config-stale']).toBe('false')
}

describe.concurrent('network faults (each case its own sidecar, run concurrently)', () => {
  it('down at start: /livez 200, /readyz and config 503 with Retry-After, then it recovers', async ({
    expect,
  }) => {
    // An upstream of the test's own, down (its port closed) until the sidecar has failed.
    const upstream = await startUpstream(json(GOOD))
    cleanups.push(() => upstream.close())
    await upstream.down()
    const sidecar = await spawnSidecar(dir.path, {
      CONFIG_SOURCE: `${upstream.url}/app/default`,
      CONFIG_CACHE_DIR: `${dir.path}/cache-down`,
    })
    cleanups.push(() => sidecar.stop('SIGKILL'))
    await sidecar.waitForError('ERR_UPSTREAM_UNAVAILABLE')
    expect((await sidecar.get('/livez')).status).toBe(200)
    expect((await sidecar.get('/readyz')).status).toBe(503)
    const config = await sidecar.get('/config/')
    expect(config.status).toBe(503)
    expect(errorCode(config)).toBe('ERR_CONFIG_NOT_READY')
    expect(Number(config.headers['retry-after'])).toBeGreaterThan(0)

    await upstream.up()
    await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined), {
      timeoutMs: 4000,
      what: 'the first config after the upstream came up',
    })
    expect((await sidecar.get('/readyz')).status).toBe(200)
  })

  it('dies mid-answer (socket destroyed after half the body): ERR_UPSTREAM_UNAVAILABLE, last good kept', async ({
    expect,
  }) => {
    const { upstream, sidecar } = await setUp('mid-answer')
    const body = JSON.stringify({ ...GOOD, padding: 'x'.repeat(64 * 1024) })
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
      res.write(body.slice(0, body.length / 2), () => res.socket?.destroy())
    })
    await sidecar.waitForError('ERR_UPSTREAM_UNAVAILABLE')
    await expectLastGoodServed(expect, sidecar)
    await expectRecovery(expect, upstream, sidecar)
  })

  it('headers that never end: ERR_UPSTREAM_TIMEOUT after the real 10 s, serving all along, one fetch at a time', async ({
    expect,
  }) => {
    const { upstream, sidecar } = await setUp('slow-headers')
    const closed: number[] = []
    let maxOpen = 0
    upstream.handle((req) => {
      const socket = req.socket
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: ')
      const timer = setInterval(() => {
        maxOpen = Math.max(maxOpen, upstream.open())
        socket.write('a')
      }, 250)
      socket.once('close', () => {
        clearInterval(timer)
        closed.push(Date.now())
        upstream.handle(fastFailure)
      })
    })
    const from = upstream.requests.length
    await waitFor(() => (upstream.requests.length > from ? true : undefined))
    const started = upstream.requests[from]!.at
    // While the headers trickle, the config is served as fast as ever.
    const latencies: number[] = []
    while (closed.length === 0 && Date.now() - started < 13_000) {
      const answer = await sidecar.get('/config/')
      expect(answer.status).toBe(200)
      latencies.push(answer.ms)
      await sleep(500)
    }
    const tookMs = closed[0]! - started
    report('headers that never end', { cutAfterMs: tookMs, maxLatencyMs: Math.max(...latencies) })
    expect(tookMs).toBeGreaterThan(9_000)
    expect(tookMs).toBeLessThan(12_000)
    expect(Math.max(...latencies)).toBeLessThan(500)
    expect(maxOpen).toBe(1)
    await waitFor(async () =>
      (await failures(sidecar, 'ERR_UPSTREAM_TIMEOUT')) === 1 ? true : undefined,
    )
    expect(sidecar.proc.output()).toContain('did not answer in time (response)')
    await expectLastGoodServed(expect, sidecar)
    await expectRecovery(expect, upstream, sidecar)
  }, 25_000)

  it('a body that trickles: cut at the real 30 s whole-answer limit, ERR_UPSTREAM_TIMEOUT, one fetch at a time', async ({
    expect,
  }) => {
    const { upstream, sidecar } = await setUp('trickle')
    const closed: number[] = []
    let maxOpen = 0
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"greeting":"')
      const timer = setInterval(() => {
        maxOpen = Math.max(maxOpen, upstream.open())
        res.write('a')
      }, 200)
      res.once('close', () => {
        clearInterval(timer)
        closed.push(Date.now())
        upstream.handle(fastFailure)
      })
    })
    const from = upstream.requests.length
    await waitFor(() => (upstream.requests.length > from ? true : undefined))
    const started = upstream.requests[from]!.at
    let maxLatency = 0
    while (closed.length === 0 && Date.now() - started < 34_000) {
      const answer = await sidecar.get('/config/')
      expect(answer.status).toBe(200)
      expect(JSON.parse(answer.body)).toEqual(GOOD)
      maxLatency = Math.max(maxLatency, answer.ms)
      await sleep(1000)
    }
    const tookMs = closed[0]! - started
    report('a body that trickles', { cutAfterMs: tookMs, maxLatencyMs: maxLatency })
    expect(tookMs).toBeGreaterThan(29_000)
    expect(tookMs).toBeLessThan(32_000)
    // One fetch at a time: no second request while the first one trickled.
    expect(upstream.requests.filter((request) => request.at < closed[0]!).length).toBe(from + 1)
    expect(maxOpen).toBe(1)
    await waitFor(async () =>
      (await failures(sidecar, 'ERR_UPSTREAM_TIMEOUT')) === 1 ? true : undefined,
    )
    expect(sidecar.proc.output()).toContain('did not answer in time (request)')
    await expectLastGoodServed(expect, sidecar)
    expect(sidecar.proc.output()).not.toContain('"greeting":"aaa')
    await expectRecovery(expect, upstream, sidecar)
  }, 45_000)

  it('a 5xx storm: ERR_UPSTREAM_HTTP_STATUS, the polls back off, the upstream error body is never echoed', async ({
    expect,
  }) => {
    const { upstream, sidecar } = await setUp('5xx')
    const marker = `upstream-stack-trace-${randomBytes(8).toString('hex')}`
    const statuses = [500, 502, 503, 504]
    let index = 0
    upstream.handle((_req, res) => {
      const status = statuses[index++ % statuses.length]!
      res.writeHead(status, { 'content-type': 'text/plain', 'retry-after': '0' }).end(marker)
    })
    await sidecar.waitForError('ERR_UPSTREAM_HTTP_STATUS')
    const from = upstream.requests.length
    await sleep(4000)
    const storm = upstream.requests.slice(from)
    const gaps = storm.slice(1).map((request, i) => request.at - storm[i]!.at)
    report('5xx storm', { requestsIn4s: storm.length, gapsMs: gaps })
    // 200 ms polls would make 20 requests in 4 s; backing off (doubling, capped at 2 s) makes few.
    expect(storm.length).toBeLessThanOrEqual(8)
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(700)
    await expectLastGoodServed(expect, sidecar)
    expectNoSecrets(await outputsOf(sidecar), [marker])
    await expectRecovery(expect, upstream, sidecar)
  })

  it('a 401 loop (fresh tokens the config route always refuses): one retry per poll, backing off, no credential shown', async ({
    expect,
  }) => {
    const clientSecret = `client-secret-${randomBytes(12).toString('hex')}`
    const issued: string[] = []
    let refuse = false
    let refuseTokens = false
    const upstream = await startUpstream((req, res, body) => {
      if (req.url === '/oauth/token') {
        if (refuseTokens) {
          res
            .writeHead(401, { 'content-type': 'application/json' })
            .end('{"error":"invalid_client"}')
          return
        }
        const token = `issued-${randomBytes(12).toString('hex')}`
        issued.push(token)
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: 300 }))
        return
      }
      if (refuse) res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end()
      else json(GOOD)(req, res, body)
    })
    cleanups.push(() => upstream.close())
    const sidecar = await spawnSidecar(dir.path, {
      CONFIG_SOURCE: `${upstream.url}/app/default`,
      CONFIG_CACHE_DIR: `${dir.path}/cache-401`,
      CONFIG_CLIENT_ID: 'sidecar',
      CONFIG_CLIENT_SECRET: clientSecret,
      CONFIG_TOKEN_URL: `${upstream.url}/oauth/token`,
    })
    cleanups.push(() => sidecar.stop('SIGKILL'))
    await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined))

    refuse = true
    await sidecar.waitForError('ERR_UPSTREAM_AUTH_FAILED')
    const from = upstream.requests.length
    await sleep(4000)
    const loop = upstream.requests.slice(from)
    const configGets = loop.filter((request) => request.url === '/app/default').length
    const tokenPosts = loop.filter((request) => request.url === '/oauth/token').length
    report('401 loop', { configGetsIn4s: configGets, tokenPostsIn4s: tokenPosts })
    // Each poll: the cached token, one 401, one new token, one retry, then back off.
    expect(configGets).toBeLessThanOrEqual(16)
    expect(tokenPosts).toBeLessThanOrEqual(8)
    expect(configGets).toBeLessThanOrEqual(2 * tokenPosts + 2)
    await expectLastGoodServed(expect, sidecar)

    // The token endpoint itself refuses: no hammering either.
    refuseTokens = true
    await sleep(300)
    const fromTokens = upstream.requests.length
    await sleep(3000)
    const refused = upstream.requests.slice(fromTokens)
    report('token endpoint 401', { requestsIn3s: refused.length })
    expect(refused.length).toBeLessThanOrEqual(8)
    expect((await sidecar.status()).lastError?.code).toBe('ERR_UPSTREAM_AUTH_FAILED')
    expectNoSecrets(await outputsOf(sidecar), [clientSecret, ...issued])
    refuse = false
    refuseTokens = false
    await waitFor(
      async () =>
        (await sidecar.get('/config/')).headers['x-config-stale'] === 'false' ? true : undefined,
      { timeoutMs: 4000, what: 'recovery' },
    )
  })

  it('protocol garbage (a bad status line, binary noise, a 64 KiB header, two lengths): ERR_UPSTREAM_UNAVAILABLE each time', async ({
    expect,
  }) => {
    const { upstream, sidecar } = await setUp('garbage')
    const attacks: [string, (socket: Socket) => void][] = [
      ['bad status line', (socket) => socket.end('HTTP/1.1 banana\r\n\r\n{}')],
      ['binary noise', (socket) => socket.end(randomBytes(4096))],
      [
        'a 64 KiB header',
        (socket) => socket.end(`HTTP/1.1 200 OK\r\nX-Flood: ${'a'.repeat(64 * 1024)}\r\n\r\n{}`),
      ],
      [
        'two content lengths',
        (socket) =>
          socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\n{}'),
      ],
    ]
    for (const [name, attack] of attacks) {
      upstream.handle((req) => attack(req.socket))
      const status = await waitFor(
        async () => {
          const current = await sidecar.status()
          return current.stale ? current : undefined
        },
        { timeoutMs: 5000, what: name },
      )
      expect(status.lastError?.code, name).toBe('ERR_UPSTREAM_UNAVAILABLE')
      await expectLastGoodServed(expect, sidecar)
      await expectRecovery(expect, upstream, sidecar)
      upstream.handle(json(GOOD))
      await waitFor(async () =>
        (await sidecar.get('/config/')).body.includes('recovered') ? undefined : true,
      )
    }
  })

  it('redirects: a loop ends in ERR_UPSTREAM_UNAVAILABLE; another origin is never fetched (ERR_UPSTREAM_HTTP_STATUS)', async ({
    expect,
  }) => {
    const staticToken = `static-${randomBytes(12).toString('hex')}`
    const elsewhere = await startUpstream(json({ stolen: true }))
    cleanups.push(() => elsewhere.close())
    const upstream = await startUpstream(json(GOOD))
    cleanups.push(() => upstream.close())
    const sidecar = await spawnSidecar(dir.path, {
      CONFIG_SOURCE: `${upstream.url}/app/default`,
      CONFIG_CACHE_DIR: `${dir.path}/cache-redirect`,
      CONFIG_BEARER_TOKEN: staticToken,
    })
    cleanups.push(() => sidecar.stop('SIGKILL'))
    await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined))

    upstream.handle((_req, res) => res.writeHead(302, { location: '/app/default' }).end())
    const loop = await sidecar.waitForError('ERR_UPSTREAM_UNAVAILABLE')
    expect(loop.lastError?.message).not.toContain(staticToken)
    await expectLastGoodServed(expect, sidecar)

    upstream.handle((_req, res) =>
      res.writeHead(302, { location: `${elsewhere.url}/collect` }).end(),
    )
    const refused = await waitFor(
      async () => {
        const current = await sidecar.status()
        return current.lastError?.code === 'ERR_UPSTREAM_HTTP_STATUS' ? current : undefined
      },
      { what: 'the cross-origin redirect refused' },
    )
    expect(refused.lastError?.message).toContain('HTTP 302')
    report('cross-origin redirect', { requestsToOtherOrigin: elsewhere.requests.length })
    expect(elsewhere.requests).toEqual([])
    await expectLastGoodServed(expect, sidecar)
    expectNoSecrets(await outputsOf(sidecar), [staticToken])
  })

  it('a slowloris (200 local sockets sending headers byte by byte): a normal client is served all along, every slow socket dropped by the 10 s headers timeout', async ({
    expect,
  }) => {
    await writeFile(join(dir.path, 'slowloris.json'), JSON.stringify({ greeting: 'hello' }))
    const sidecar = await spawnSidecar(dir.path, {
      CONFIG_SOURCE: `file:${join(dir.path, 'slowloris.json')}`,
      CONFIG_CACHE_DIR: `${dir.path}/cache-slowloris`,
    })
    cleanups.push(() => sidecar.stop('SIGKILL'))
    await waitFor(async () => ((await sidecar.get('/config/')).status === 200 ? true : undefined))
    const before = await memoryOf(sidecar.pid)
    const request = `GET /config/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN}\r\nX-Slow: ${'a'.repeat(64)}`
    const sockets: { socket: Socket; opened: number; closed?: number; answer: string }[] = []
    const timers: NodeJS.Timeout[] = []
    for (let i = 0; i < 200; i += 1) {
      const socket = connect(sidecar.port, '127.0.0.1')
      const entry: (typeof sockets)[number] = { socket, opened: Date.now(), answer: '' }
      sockets.push(entry)
      socket.setEncoding('utf8')
      socket.on('data', (chunk: string) => (entry.answer += chunk))
      socket.on('error', () => undefined)
      socket.on('close', () => (entry.closed = Date.now()))
      let sent = 0
      const timer = setInterval(() => {
        if (entry.closed !== undefined || sent >= request.length) return
        socket.write(request[sent]!)
        sent += 1
      }, 200)
      timers.push(timer)
    }
    try {
      // A normal client is served promptly all along.
      const latencies: number[] = []
      const started = Date.now()
      while (Date.now() - started < 16_000 && sockets.some((entry) => entry.closed === undefined)) {
        const answer = await sidecar.get('/config/')
        expect(answer.status).toBe(200)
        latencies.push(answer.ms)
        await sleep(250)
      }
      const open = sockets.filter((entry) => entry.closed === undefined).length
      const lifetimes = sockets
        .filter((entry) => entry.closed !== undefined)
        .map((entry) => entry.closed! - entry.opened)
      const during = await memoryOf(sidecar.pid)
      report('slowloris', {
        sockets: sockets.length,
        stillOpenAfter16s: open,
        droppedAfterMs: { min: Math.min(...lifetimes), max: Math.max(...lifetimes) },
        normalClientMaxLatencyMs: Math.max(...latencies),
        normalRequests: latencies.length,
        rssBefore: before,
        rssDuring: during,
      })
      expect(open).toBe(0)
      expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(9_500)
      expect(Math.max(...lifetimes)).toBeLessThan(13_000)
      expect(sockets.every((entry) => entry.answer.startsWith('HTTP/1.1 408'))).toBe(true)
      expect(Math.max(...latencies)).toBeLessThan(500)
      sidecar.expectAlive()
    } finally {
      for (const timer of timers) clearInterval(timer)
      for (const entry of sockets) entry.socket.destroy()
    }
  }, 25_000)
})
