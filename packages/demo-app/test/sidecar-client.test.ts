// The sidecar client (src/sidecar-client.ts) against a sidecar on a real port: the token (inline,
// from a file, none; read again after a 401 only when it is a file), the path and headers as sent,
// the answer as it came (status, headers, raw bytes; no redirect followed, no retry but the one on
// a reset connection), its default deadline, and opening an event stream (what counts as one,
// what does not, the 401, and a sidecar that does not answer).
import { writeFile } from 'node:fs/promises'
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../../test-support/files.js'
import { closedPort } from '../../../test-support/ports.js'
import { listen, onCleanup } from '../../../test-support/servers.js'
import { sleep, waitFor } from '../../../test-support/wait.js'
import { createSidecarClient, MAX_SOCKETS, SIDECAR_TIMEOUT_MS } from '../src/sidecar-client.js'

const TOKEN = 'token-1234567890abcdef'
const NEW_TOKEN = 'token-new-0123456789abcdef'

/** A sidecar whose handler the test gives, every request's URL and headers recorded. */
async function sidecarWith(handle: (res: ServerResponse, headers: IncomingHttpHeaders) => void) {
  const seen: { url: string | undefined; headers: IncomingHttpHeaders }[] = []
  const { port } = await listen((req, res) => {
    seen.push({ url: req.url, headers: req.headers })
    handle(res, req.headers)
  })
  return { url: `http://127.0.0.1:${port}`, seen }
}

/** Answers 200 to the new token, 401 to any other. */
const onlyNewToken = (res: ServerResponse, headers: IncomingHttpHeaders): void => {
  if (headers.authorization !== `Bearer ${NEW_TOKEN}`) res.writeHead(401).end()
  else if (headers.accept === 'text/event-stream')
    res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: x\n\n')
  else res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
}

async function tokenFile(text: string | undefined): Promise<string> {
  const dir = await tempDir()
  onCleanup(dir.remove)
  const path = join(dir.path, 'token')
  if (text !== undefined) await writeFile(path, text)
  return path
}

async function readAll(stream: Readable): Promise<string> {
  let text = ''
  for await (const chunk of stream) text += String(chunk)
  return text
}

describe('GET on the sidecar', () => {
  it('sends the path without a doubled slash, the headers given, and the inline token', async () => {
    const sidecar = await sidecarWith((res) => res.writeHead(200).end('{}'))
    const client = createSidecarClient(sidecar.url, { kind: 'inline', value: TOKEN })
    expect(client.baseUrl).toBe(sidecar.url)
    await client.get('/config/?redact', { 'if-none-match': '"e1"' })
    await client.get('status')
    expect(
      sidecar.seen.map(({ url, headers }) => [
        url,
        headers.authorization,
        headers['if-none-match'],
      ]),
    ).toEqual([
      ['/config/?redact', `Bearer ${TOKEN}`, '"e1"'],
      ['/status', `Bearer ${TOKEN}`, undefined],
    ])
  })

  it('sends a path given without its leading slash as it is', async () => {
    const sidecar = await sidecarWith((res, headers) => {
      if (headers.accept === 'text/event-stream')
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: x\n\n')
      else res.writeHead(200).end('{}')
    })
    const client = createSidecarClient(sidecar.url, undefined)
    await client.get('config/database/password')
    await readAll(await client.openStream('config/?redact'))
    expect(sidecar.seen.map(({ url }) => url)).toEqual([
      '/config/database/password',
      '/config/?redact',
    ])
  })

  it('answers a 401 as it is when there is no token to read again', async () => {
    const sidecar = await sidecarWith((res) => res.writeHead(401).end())
    const client = createSidecarClient(sidecar.url, undefined)
    expect((await client.get('/status')).status).toBe(401)
    await expect(client.openStream('/config/')).rejects.toMatchObject({ status: 401 })
    expect(sidecar.seen).toHaveLength(2)
  })

  it(`keeps at most ${MAX_SOCKETS} connections to the sidecar; more calls wait for one`, async () => {
    const held: ServerResponse[] = []
    const sidecar = await sidecarWith((res) => held.push(res))
    const client = createSidecarClient(sidecar.url, undefined, { timeoutMs: 10_000 })
    const calls = Array.from({ length: MAX_SOCKETS + 6 }, () => client.get('/status'))
    await waitFor(() => (held.length === MAX_SOCKETS ? true : undefined))
    await sleep(200)
    expect(held).toHaveLength(MAX_SOCKETS)
    const answerAll = (): void => {
      for (const res of held.splice(0)) res.writeHead(200).end('{}')
    }
    answerAll()
    await waitFor(() => (held.length === 6 ? true : undefined))
    answerAll()
    const answers = await Promise.all(calls)
    expect(answers.every((answer) => answer.status === 200)).toBe(true)
  })

  it('sends no Authorization without a token, or when the token file is missing or blank', async () => {
    const sidecar = await sidecarWith((res) => res.writeHead(200).end('{}'))
    await createSidecarClient(sidecar.url, undefined).get('/status')
    await createSidecarClient(sidecar.url, { kind: 'file', path: await tokenFile(undefined) }).get(
      '/status',
    )
    await createSidecarClient(sidecar.url, { kind: 'file', path: await tokenFile(' \n') }).get(
      '/status',
    )
    expect(sidecar.seen.map(({ headers }) => headers.authorization)).toEqual([
      undefined,
      undefined,
      undefined,
    ])
  })

  it('reads the token file once, trimmed, and again only after a 401', async () => {
    const sidecar = await sidecarWith(onlyNewToken)
    const path = await tokenFile(`  ${TOKEN}\n`)
    const client = createSidecarClient(sidecar.url, { kind: 'file', path })
    expect((await client.get('/status')).status).toBe(401)
    expect(sidecar.seen.map(({ headers }) => headers.authorization)).toEqual([
      `Bearer ${TOKEN}`,
      `Bearer ${TOKEN}`,
    ])
    await writeFile(path, `${NEW_TOKEN}\n`)
    expect((await client.get('/status')).status).toBe(200)
    expect((await client.get('/status')).status).toBe(200)
    expect(sidecar.seen.slice(2).map(({ headers }) => headers.authorization)).toEqual([
      `Bearer ${TOKEN}`,
      `Bearer ${NEW_TOKEN}`,
      `Bearer ${NEW_TOKEN}`,
    ])
  })

  it('answers a 401 to an inline token as it is, without asking again', async () => {
    const sidecar = await sidecarWith((res) => res.writeHead(401).end())
    const client = createSidecarClient(sidecar.url, { kind: 'inline', value: TOKEN })
    expect((await client.get('/status')).status).toBe(401)
    expect(sidecar.seen).toHaveLength(1)
  })

  it('gives the status, the headers and the body as raw bytes, follows no redirect and throws on no HTTP status', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x7b, 0x7d])
    const sidecar = await sidecarWith((res) =>
      res.writeHead(302, { location: '/elsewhere', 'x-config-version': 'v3' }).end(bytes),
    )
    const answer = await createSidecarClient(sidecar.url, undefined).get('/config/')
    expect(answer.status).toBe(302)
    expect(answer.headers['x-config-version']).toBe('v3')
    expect(answer.body.equals(bytes)).toBe(true)
    expect(sidecar.seen.map(({ url }) => url)).toEqual(['/config/'])

    const notFound = await sidecarWith((res) => res.writeHead(404).end('nope'))
    const missing = await createSidecarClient(notFound.url, undefined).get('/nope')
    expect([missing.status, missing.body.toString()]).toEqual([404, 'nope'])
  })

  it('does not send again after an error other than a reset connection', async () => {
    let requests = 0
    const { port } = await listen((req) => {
      requests++
      req.socket.end('this is not HTTP\r\n\r\n')
    })
    await expect(
      createSidecarClient(`http://127.0.0.1:${port}`, undefined).get('/status'),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^HPE_/) })
    expect(requests).toBe(1)
  })

  it(`waits ${SIDECAR_TIMEOUT_MS} ms by default: a slow answer is taken, none at all is ETIMEDOUT with the deadline named`, async () => {
    expect(SIDECAR_TIMEOUT_MS).toBe(1500)
    const slow = await sidecarWith((res) => {
      setTimeout(() => res.writeHead(200).end('{}'), 300)
    })
    expect((await createSidecarClient(slow.url, undefined).get('/status')).status).toBe(200)

    const silent = await sidecarWith(() => undefined)
    const started = Date.now()
    await expect(createSidecarClient(silent.url, undefined).get('/status')).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      message: 'the sidecar did not answer within 1500 ms',
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400)
  })
})

describe('opening an event stream', () => {
  it('asks for text/event-stream with the token and resolves with the stream once the sidecar answers one', async () => {
    const sidecar = await sidecarWith((res) =>
      res
        .writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' })
        .end('event: config\ndata: {}\n\n'),
    )
    const client = createSidecarClient(sidecar.url, { kind: 'inline', value: TOKEN })
    const stream = await client.openStream('/config/?redact')
    expect(await readAll(stream)).toBe('event: config\ndata: {}\n\n')
    expect(
      sidecar.seen.map(({ url, headers }) => [url, headers.accept, headers.authorization]),
    ).toEqual([['/config/?redact', 'text/event-stream', `Bearer ${TOKEN}`]])
  })

  it('rejects with the status for a JSON answer (a sidecar without streams) and for an error status', async () => {
    const json = await sidecarWith((res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
    )
    await expect(
      createSidecarClient(json.url, undefined).openStream('/config/'),
    ).rejects.toMatchObject({
      status: 200,
      message: 'the sidecar answered HTTP 200',
    })
    const untyped = await sidecarWith((res) => res.writeHead(200).end('data: x\n\n'))
    await expect(
      createSidecarClient(untyped.url, undefined).openStream('/config/'),
    ).rejects.toMatchObject({ status: 200 })
    const notReady = await sidecarWith((res) =>
      res.writeHead(503, { 'content-type': 'text/event-stream' }).end(),
    )
    await expect(
      createSidecarClient(notReady.url, undefined).openStream('/config/'),
    ).rejects.toMatchObject({ status: 503, message: 'the sidecar answered HTTP 503' })
  })

  it('reads the token file again after a 401 and opens the stream with the new token', async () => {
    const sidecar = await sidecarWith(onlyNewToken)
    const path = await tokenFile(TOKEN)
    const client = createSidecarClient(sidecar.url, { kind: 'file', path })
    await expect(client.openStream('/config/')).rejects.toMatchObject({ status: 401 })
    expect(sidecar.seen).toHaveLength(2)
    await writeFile(path, NEW_TOKEN)
    expect(await readAll(await client.openStream('/config/'))).toBe('data: x\n\n')
    expect(sidecar.seen.slice(2).map(({ headers }) => headers.authorization)).toEqual([
      `Bearer ${TOKEN}`,
      `Bearer ${NEW_TOKEN}`,
    ])
  })

  it('does not read the token file again, nor ask again, after an answer other than 401', async () => {
    const sidecar = await sidecarWith((res) =>
      res.writeHead(503, { 'content-type': 'application/json' }).end('{}'),
    )
    const client = createSidecarClient(sidecar.url, { kind: 'file', path: await tokenFile(TOKEN) })
    await expect(client.openStream('/config/')).rejects.toMatchObject({ status: 503 })
    expect(sidecar.seen).toHaveLength(1)
  })

  it('rejects a 401 to an inline token without asking again', async () => {
    const sidecar = await sidecarWith((res) => res.writeHead(401).end())
    const client = createSidecarClient(sidecar.url, { kind: 'inline', value: TOKEN })
    await expect(client.openStream('/config/')).rejects.toMatchObject({ status: 401 })
    expect(sidecar.seen).toHaveLength(1)
  })

  it('rejects when the sidecar does not answer within the deadline, or refuses the connection', async () => {
    const silent = await sidecarWith(() => undefined)
    const started = Date.now()
    await expect(
      createSidecarClient(silent.url, undefined, { timeoutMs: 200 }).openStream('/config/'),
    ).rejects.toMatchObject({ code: 'ETIMEDOUT' })
    expect(Date.now() - started).toBeLessThan(1000)

    await expect(
      createSidecarClient(`http://127.0.0.1:${await closedPort()}`, undefined).openStream(
        '/config/',
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})
