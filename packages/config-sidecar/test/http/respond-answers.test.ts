// The answer helpers every route uses, over real HTTP: the exact status, headers and body of each
// kind of answer (a plain one, a JSON document, an error, 405, 500), and the request each counts.
import type { ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { rawRequest } from '../../../../test-support/http.js'
import type { RawResponse } from '../../../../test-support/http.js'
import { listen } from '../../../../test-support/servers.js'
import type { Metrics, RouteName } from '../../src/http/metrics.js'
import {
  send,
  sendError,
  sendInternalError,
  sendJson,
  sendMethodNotAllowed,
} from '../../src/http/respond.js'

const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * Answers one request with `answer` on a node:http server on 127.0.0.1:0, and reports what was
 * counted. Metrics is our own interface: this one records the requests counted.
 */
async function answered(
  answer: (res: ServerResponse, metrics: Metrics) => void,
  method = 'GET',
): Promise<{ response: RawResponse; counted: [RouteName, number][] }> {
  const counted: [RouteName, number][] = []
  const metrics: Metrics = {
    countRequest: (route, status) => void counted.push([route, status]),
    setWaiting: () => undefined,
    recordRefresh: () => undefined,
    render: () => Promise.resolve({ contentType: 'text/plain', text: '' }),
    configFiles: () => undefined,
  }
  const { port } = await listen((_req, res) => {
    try {
      answer(res, metrics)
    } catch {
      // A helper that throws leaves the request unanswered: the client sees the connection drop.
      res.destroy()
    }
  })
  const response = await rawRequest(`http://127.0.0.1:${port}/`, { method })
  return { response, counted }
}

describe('send', () => {
  it('sends the body with its length in bytes, nosniff and the given headers', async () => {
    const { response, counted } = await answered((res, metrics) =>
      send(res, metrics, 'metrics', 200, { 'content-type': 'text/plain; charset=utf-8' }, 'é ✓'),
    )
    expect(response.status).toBe(200)
    expect(response.body).toBe('é ✓')
    expect(response.headers).toMatchObject({
      'content-type': 'text/plain; charset=utf-8',
      'content-length': '6',
      'x-content-type-options': 'nosniff',
    })
    expect(counted).toEqual([['metrics', 200]])
  })

  it('sends an answer without a body and without a length', async () => {
    const { response, counted } = await answered((res, metrics) =>
      send(res, metrics, 'other', 200, { 'x-answer': 'empty' }),
    )
    expect(response.status).toBe(200)
    expect(response.body).toBe('')
    expect(response.headers['x-answer']).toBe('empty')
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['content-length']).toBeUndefined()
    expect(counted).toEqual([['other', 200]])
  })
})

describe('sendJson', () => {
  it('sends the value as JSON, not to be stored, with its status', async () => {
    const { response, counted } = await answered((res, metrics) =>
      sendJson(res, metrics, 'readyz', 503, { status: 'not-ready', reason: 'no config yet' }),
    )
    expect(response.status).toBe(503)
    expect(response.body).toBe('{"status":"not-ready","reason":"no config yet"}')
    expect(response.headers).toMatchObject({
      'content-type': JSON_TYPE,
      'cache-control': 'no-store',
      'content-length': String(response.body.length),
      'x-content-type-options': 'nosniff',
    })
    expect(counted).toEqual([['readyz', 503]])
  })
})

describe('sendError', () => {
  it('sends the JSON error with the status of its code, not to be stored, plus the given headers', async () => {
    const { response, counted } = await answered((res, metrics) =>
      sendError(res, metrics, 'changes', 'ERR_CHANGES_UNKNOWN_ETAG', 'read it again', {
        'retry-after': 3,
      }),
    )
    expect(response.status).toBe(410)
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'ERR_CHANGES_UNKNOWN_ETAG', message: 'read it again' },
    })
    expect(response.headers).toMatchObject({
      'content-type': JSON_TYPE,
      'cache-control': 'no-store',
      'content-length': String(response.body.length),
      'x-content-type-options': 'nosniff',
      'retry-after': '3',
    })
    expect(counted).toEqual([['changes', 410]])
  })
})

describe('sendMethodNotAllowed', () => {
  it('answers 405 naming the method, with the Allow header', async () => {
    const { response, counted } = await answered(
      (res, metrics) => sendMethodNotAllowed(res, metrics, 'status', 'DELETE', 'GET, HEAD'),
      'DELETE',
    )
    expect(response.status).toBe(405)
    expect(response.headers.allow).toBe('GET, HEAD')
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'ERR_METHOD_NOT_ALLOWED', message: 'DELETE is not allowed here' },
    })
    expect(counted).toEqual([['status', 405]])
  })

  it('says "this method" when the method is not known', async () => {
    const { response } = await answered((res, metrics) =>
      sendMethodNotAllowed(res, metrics, 'status', undefined, 'POST'),
    )
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'ERR_METHOD_NOT_ALLOWED', message: 'this method is not allowed here' },
    })
  })
})

describe('sendInternalError', () => {
  it('answers 500 with the fixed message, counted under `other`', async () => {
    const { response, counted } = await answered((res, metrics) => sendInternalError(res, metrics))
    expect(response.status).toBe(500)
    expect(response.headers['content-type']).toBe(JSON_TYPE)
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'ERR_INTERNAL', message: 'internal error (details are in the sidecar log)' },
    })
    expect(counted).toEqual([['other', 500]])
  })
})
