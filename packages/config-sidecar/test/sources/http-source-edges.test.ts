// The HTTP source's edges, against a real server on port 0: the headers it sends, the exact result
// and validators of a 200 and a 304, every status a user sees as an error (with the redirect note
// only for a 3xx it did not follow), same-origin redirects, and the body limit as bytes arrive.
import type { ServerResponse } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startUpstream } from '../../../../test-support/upstream.js'
import type { FakeUpstream } from '../../../../test-support/upstream.js'
import { errorOf } from '../../../../test-support/sidecar-errors.js'
import { createHttpSource } from '../../src/sources/http-source.js'
import type { HttpSourceOptions } from '../../src/sources/http-source.js'
import type { ConfigSource, FetchResult } from '../../src/sources/source.js'

const FAST = { connectMs: 500, responseMs: 500, totalMs: 1000 }
const ACCEPT = 'application/json, application/jose;q=0.9, application/yaml;q=0.8, */*;q=0.5'

let upstream: FakeUpstream
let hanging: ServerResponse[] = []

beforeEach(async () => {
  upstream = await startUpstream()
})
afterEach(async () => {
  for (const res of hanging) res.destroy()
  hanging = []
  await upstream.close()
})

function source(options: Partial<HttpSourceOptions> = {}): ConfigSource {
  return createHttpSource({
    url: new URL(`${upstream.url}/orders/cloud`),
    display: `${upstream.url}/orders/cloud`,
    tokens: undefined,
    timeouts: FAST,
    ...options,
  })
}

const fetchOnce = (
  validators?: FetchResult['validators'],
  options: Partial<HttpSourceOptions> = {},
): Promise<FetchResult> => source(options).fetch(validators, AbortSignal.timeout(5000))

const what = (): string => `${upstream.url}/orders/cloud`

/** Answers `status` with `headers` and an optional body. */
const answer =
  (status: number, headers: Record<string, string> = {}, body = '') =>
  (_req: unknown, res: ServerResponse): void => {
    res.writeHead(status, headers).end(body)
  }

describe('http source: requests', () => {
  it('names itself by its display URL and is of kind http', () => {
    const made = source({ display: 'https://config.example/orders/cloud' })
    expect(made.display).toBe('https://config.example/orders/cloud')
    expect(made.kind).toBe('http')
  })

  it('sends its Accept list and User-Agent, and no credentials or validators on a first fetch', async () => {
    upstream.handle(answer(200, { 'content-type': 'application/json' }, '{}'))
    await fetchOnce(undefined, { userAgent: 'config-sidecar/9.9.9' })
    const { headers } = upstream.requests[0]!
    expect(headers.accept).toBe(ACCEPT)
    expect(headers['user-agent']).toBe('config-sidecar/9.9.9')
    expect(headers.authorization).toBeUndefined()
    expect(headers['if-none-match']).toBeUndefined()
    expect(headers['if-modified-since']).toBeUndefined()
  })

  it('leaves the client its own User-Agent when none is given', async () => {
    upstream.handle(answer(200, { 'content-type': 'application/json' }, '{}'))
    await fetchOnce()
    expect(upstream.requests[0]!.headers['user-agent']).toMatch(/^got /)
  })
})

describe('http source: answers', () => {
  it('gives a 200 as one document with its content type, validators and version', async () => {
    upstream.handle(
      answer(
        200,
        {
          'content-type': 'application/yaml',
          etag: '"v1"',
          'last-modified': 'Sun, 29 Nov 2026 10:00:00 GMT',
          'x-config-version': 'abc123',
        },
        'a: 1\n',
      ),
    )
    const result = await fetchOnce()
    expect(result).toEqual({
      kind: 'changed',
      raw: { documents: [{ body: Buffer.from('a: 1\n'), contentType: 'application/yaml' }] },
      validators: {
        etag: '"v1"',
        lastModified: 'Sun, 29 Nov 2026 10:00:00 GMT',
        contentHash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      },
      version: 'abc123',
    })
  })

  it('takes a 200 with the same body as unchanged, keeping the hash and taking new validators', async () => {
    upstream.handle(answer(200, { 'content-type': 'application/json' }, '{"a":1}'))
    const first = await fetchOnce()
    if (first.kind !== 'changed') throw new Error('expected the first answer')
    upstream.handle(answer(200, { 'content-type': 'application/json', etag: '"v2"' }, '{"a":1}'))
    expect(await fetchOnce(first.validators)).toEqual({
      kind: 'unchanged',
      validators: {
        etag: '"v2"',
        lastModified: undefined,
        contentHash: first.validators.contentHash,
      },
    })
    upstream.handle(answer(200, { 'content-type': 'application/json' }, '{"a":2}'))
    expect((await fetchOnce(first.validators)).kind).toBe('changed')
  })

  it('takes a 304 as unchanged, with the validators it sent again', async () => {
    upstream.handle(answer(304))
    const sent = { etag: '"v1"', lastModified: 'Sun, 29 Nov 2026 10:00:00 GMT', contentHash: 'h' }
    expect(await fetchOnce(sent)).toEqual({ kind: 'unchanged', validators: sent })
    expect(upstream.requests[0]!.headers['if-none-match']).toBe('"v1"')
    expect(upstream.requests[0]!.headers['if-modified-since']).toBe(sent.lastModified)
  })

  it('takes the new ETag and Last-Modified a 304 carries', async () => {
    upstream.handle(answer(304, { etag: '"v2"', 'last-modified': 'Sun, 29 Nov 2026 11:00:00 GMT' }))
    const sent = { etag: '"v1"', lastModified: 'Sun, 29 Nov 2026 10:00:00 GMT', contentHash: 'h' }
    expect(await fetchOnce(sent)).toEqual({
      kind: 'unchanged',
      validators: { etag: '"v2"', lastModified: 'Sun, 29 Nov 2026 11:00:00 GMT', contentHash: 'h' },
    })
  })

  it('refuses a 304 to a request that sent no validators', async () => {
    upstream.handle(answer(304))
    const error = await errorOf(fetchOnce())
    expect(error.code).toBe('ERR_UPSTREAM_HTTP_STATUS')
    expect(error.message).toBe(`${what()} answered 304 to an unconditional request`)
  })

  it.each([401, 403])(
    'reports %i as refused credentials (ERR_UPSTREAM_AUTH_FAILED)',
    async (status) => {
      upstream.handle(answer(status))
      const error = await errorOf(fetchOnce())
      expect(error.code).toBe('ERR_UPSTREAM_AUTH_FAILED')
      expect(error.message).toBe(`${what()} refused the credentials (HTTP ${status})`)
    },
  )
})

describe('http source: other statuses and redirects', () => {
  const NOT_FOLLOWED = ' (a redirect to another origin is not followed)'
  it.each([
    ['a 500', 500, {}, ''],
    ['a 500 with a Location', 500, { location: 'http://elsewhere.example/' }, ''],
    ['a 400 with a Location', 400, { location: 'http://elsewhere.example/' }, ''],
    ['a 201 with a Location', 201, { location: 'http://elsewhere.example/' }, ''],
    ['a 204', 204, {}, ''],
    ['a 302 without a Location', 302, {}, ''],
    ['a 302 to another origin', 302, { location: 'http://elsewhere.example/x' }, NOT_FOLLOWED],
    ['a 300 to another origin', 300, { location: 'http://elsewhere.example/x' }, NOT_FOLLOWED],
    ['a 308 to another origin', 308, { location: 'http://elsewhere.example/x' }, NOT_FOLLOWED],
    ['a 302 to a Location that is no URL', 302, { location: 'http://[' }, NOT_FOLLOWED],
  ])('reports %s as ERR_UPSTREAM_HTTP_STATUS', async (_name, status, headers, note) => {
    upstream.handle(answer(status, headers))
    const error = await errorOf(fetchOnce())
    expect(error.code).toBe('ERR_UPSTREAM_HTTP_STATUS')
    expect(error.message).toBe(`${what()} answered HTTP ${status}${note}`)
    expect(upstream.requests).toHaveLength(1)
  })

  it('does not follow a redirect to the same host on another port', async () => {
    const other = await startUpstream((_req, res) => res.writeHead(200).end('{}'))
    try {
      upstream.handle(answer(302, { location: `${other.url}/orders/cloud` }))
      const error = await errorOf(fetchOnce())
      expect(error.message).toBe(
        `${what()} answered HTTP 302 (a redirect to another origin is not followed)`,
      )
      expect(other.requests).toEqual([])
    } finally {
      await other.close()
    }
  })

  it('follows a redirect on the configured origin', async () => {
    upstream.handle((req, res) => {
      if (req.url === '/orders/cloud') res.writeHead(302, { location: '/moved/orders/cloud' }).end()
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":1}')
    })
    const result = await fetchOnce()
    if (result.kind !== 'changed') throw new Error('expected the redirected answer')
    expect(result.raw.documents[0]!.body.toString()).toBe('{"a":1}')
    expect(upstream.requests.map((request) => request.url)).toEqual([
      '/orders/cloud',
      '/moved/orders/cloud',
    ])
  })
})

describe('http source: the body limit', () => {
  const chunked =
    (parts: string[]) =>
    (_req: unknown, res: ServerResponse): void => {
      res.writeHead(200, { 'content-type': 'application/json' })
      for (const part of parts) res.write(part)
      res.end()
    }

  it('takes a body of exactly the limit, with or without a Content-Length', async () => {
    const body = `"${'x'.repeat(98)}"`
    upstream.handle(chunked([body.slice(0, 50), body.slice(50)]))
    const withoutLength = await fetchOnce(undefined, { maxBytes: 100 })
    expect(withoutLength.kind).toBe('changed')
    upstream.handle(answer(200, { 'content-length': '100' }, body))
    const withLength = await fetchOnce(undefined, { maxBytes: 100 })
    expect(withLength.kind).toBe('changed')
  })

  it('cuts off a body without a Content-Length once it passes the limit', async () => {
    upstream.handle(chunked(['x'.repeat(60), 'x'.repeat(60)]))
    const error = await errorOf(fetchOnce(undefined, { maxBytes: 100 }))
    expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect(error.message).toBe(`${what()} sent a body over the limit of 100 bytes`)
  })

  it('refuses a body without a Content-Length as soon as it passes the limit, not at its end', async () => {
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('x'.repeat(150)) // and the rest never comes
      hanging.push(res)
    })
    const started = Date.now()
    const error = await errorOf(
      fetchOnce(undefined, { maxBytes: 100, timeouts: { ...FAST, totalMs: 2000 } }),
    )
    expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect(error.message).toBe(`${what()} sent a body over the limit of 100 bytes`)
    expect(Date.now() - started).toBeLessThan(1500)
  })

  it('refuses a Content-Length over the limit before the body arrives', async () => {
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
      res.write('{"a":') // and the rest never comes
      hanging.push(res)
    })
    const error = await errorOf(fetchOnce(undefined, { maxBytes: 100 }))
    expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect(error.message).toBe(`${what()} sent a body over the limit of 100 bytes`)
  })
})
