// The HTTP source's body limit while the body is still arriving, and the redirect note kept to 3xx
// answers: against a real server on port 0.
import type { ServerResponse } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startUpstream } from '../../../../test-support/upstream.js'
import type { FakeUpstream } from '../../../../test-support/upstream.js'
import { errorOf } from '../../../../test-support/sidecar-errors.js'
import { createHttpSource } from '../../src/sources/http-source.js'

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

const fetchOnce = (maxBytes?: number) =>
  createHttpSource({
    url: new URL(`${upstream.url}/orders/cloud`),
    display: `${upstream.url}/orders/cloud`,
    tokens: undefined,
    timeouts: { connectMs: 500, responseMs: 500, totalMs: 2000 },
    ...(maxBytes === undefined ? {} : { maxBytes }),
  }).fetch(undefined, AbortSignal.timeout(5000))

describe('http source: cut off as it arrives', () => {
  it('refuses a body without a Content-Length as soon as it passes the limit, not at its end', async () => {
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('x'.repeat(150)) // and the rest never comes
      hanging.push(res)
    })
    const started = Date.now()
    const error = await errorOf(fetchOnce(100))
    expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect(error.message).toBe(
      `${upstream.url}/orders/cloud sent a body over the limit of 100 bytes`,
    )
    expect(Date.now() - started).toBeLessThan(1500)
  })
})

describe('http source: the redirect note', () => {
  it('gives no redirect note for a 2xx other than 200 that carries a Location', async () => {
    upstream.handle((_req, res) =>
      res.writeHead(201, { location: 'http://elsewhere.example/' }).end(),
    )
    const error = await errorOf(fetchOnce())
    expect(error.code).toBe('ERR_UPSTREAM_HTTP_STATUS')
    expect(error.message).toBe(`${upstream.url}/orders/cloud answered HTTP 201`)
  })
})
