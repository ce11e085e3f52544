// How a network failure of the HTTP client becomes the SidecarError a user sees: timeouts,
// cancellations and unreachable hosts, each with its code, its message and the original as cause.
import { describe, expect, it } from 'vitest'
import { upstreamError } from '../../src/sources/upstream-error.js'
import { SidecarError } from '../../src/support/errors.js'

const WHAT = 'http://127.0.0.1:1/orders/cloud'

/** An error shaped like the ones got throws: a name, and maybe a code and an event. */
function clientError(fields: { name?: string; code?: unknown; event?: unknown }): Error {
  const error = new Error('client message with http://user:secret@host/')
  if (fields.name !== undefined) error.name = fields.name
  return Object.assign(error, {
    ...(fields.code === undefined ? {} : { code: fields.code }),
    ...(fields.event === undefined ? {} : { event: fields.event }),
  })
}

describe('upstreamError', () => {
  it('passes a SidecarError through as it is', () => {
    const original = new SidecarError('ERR_DOCUMENT_TOO_LARGE', 'too large')
    expect(upstreamError(original, WHAT)).toBe(original)
  })

  it('reports an ETIMEDOUT code as ERR_UPSTREAM_TIMEOUT, naming the timed-out phase', () => {
    const cause = clientError({ name: 'RequestError', code: 'ETIMEDOUT', event: 'connect' })
    const error = upstreamError(cause, WHAT)
    expect(error.code).toBe('ERR_UPSTREAM_TIMEOUT')
    expect(error.message).toBe(`${WHAT} did not answer in time (connect)`)
    expect(error.cause).toBe(cause)
  })

  it('reports a TimeoutError without a code or phase as ERR_UPSTREAM_TIMEOUT', () => {
    const cause = clientError({ name: 'TimeoutError' })
    const error = upstreamError(cause, WHAT)
    expect(error.code).toBe('ERR_UPSTREAM_TIMEOUT')
    expect(error.message).toBe(`${WHAT} did not answer in time`)
    expect(error.cause).toBe(cause)
  })

  it('ignores a phase that is not a string', () => {
    const error = upstreamError(clientError({ name: 'TimeoutError', event: 3 }), WHAT)
    expect(error.message).toBe(`${WHAT} did not answer in time`)
  })

  it.each([
    ['an AbortError', { name: 'AbortError' }],
    ['an ERR_ABORTED code', { name: 'RequestError', code: 'ERR_ABORTED' }],
  ])('reports %s as a cancelled request (ERR_UPSTREAM_UNAVAILABLE)', (_what, fields) => {
    const cause = clientError(fields)
    const error = upstreamError(cause, WHAT)
    expect(error.code).toBe('ERR_UPSTREAM_UNAVAILABLE')
    expect(error.message).toBe(`${WHAT}: the request was cancelled`)
    expect(error.cause).toBe(cause)
  })

  it('reports any other failure as ERR_UPSTREAM_UNAVAILABLE with its code, never the client message', () => {
    const cause = clientError({ name: 'RequestError', code: 'ECONNREFUSED' })
    const error = upstreamError(cause, WHAT)
    expect(error.code).toBe('ERR_UPSTREAM_UNAVAILABLE')
    expect(error.message).toBe(`${WHAT} cannot be reached (ECONNREFUSED)`)
    expect(error.cause).toBe(cause)
  })

  it('says "network error" when the failure has no string code', () => {
    for (const cause of [clientError({ code: 42 }), clientError({}), 'a thrown string']) {
      const error = upstreamError(cause, WHAT)
      expect(error.code).toBe('ERR_UPSTREAM_UNAVAILABLE')
      expect(error.message).toBe(`${WHAT} cannot be reached (network error)`)
      expect(error.cause).toBe(cause)
    }
  })
})
