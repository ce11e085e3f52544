// The token rules of the dev config server without HTTP: which Authorization headers are read as
// client_secret_basic or as a bearer token, which credentials authenticate, how long a token lives,
// and that an expired token is forgotten once a newer one is issued.
import { describe, expect, it } from 'vitest'
import { createTokenIssuer, parseBasicAuthorization } from '../src/tokens.js'

const b64 = (text: string): string => Buffer.from(text).toString('base64')

describe('parseBasicAuthorization', () => {
  it('reads the scheme in any case, with extra spaces, and base64 padding', () => {
    const credentials = { id: 'app', secret: 'pw' }
    for (const header of [
      `Basic ${b64('app:pw')}`,
      `basic ${b64('app:pw')}`,
      `BASIC   ${b64('app:pw')}  `,
    ]) {
      expect(parseBasicAuthorization(header), header).toEqual(credentials)
    }
    expect(b64('ab:c')).toMatch(/=$/)
    expect(parseBasicAuthorization(`Basic ${b64('ab:c')}`)).toEqual({ id: 'ab', secret: 'c' })
  })

  it('splits at the first colon and form-decodes both parts', () => {
    expect(parseBasicAuthorization(`Basic ${b64('a+b%3A:c:d+e%2B')}`)).toEqual({
      id: 'a b:',
      secret: 'c:d e+',
    })
    expect(parseBasicAuthorization(`Basic ${b64('app:')}`)).toEqual({ id: 'app', secret: '' })
  })

  it('reads nothing from another scheme, text around the credentials, or an empty id', () => {
    for (const header of [
      `Bearer ${b64('app:pw')}`,
      `XBasic ${b64('app:pw')}`,
      `Basic ${b64('app:pw')} extra`,
      `Basic ${b64('app:pw')}=x`,
      `Basic`,
      `Basic ${b64(':pw')}`,
      '',
    ]) {
      expect(parseBasicAuthorization(header), header).toBeUndefined()
    }
  })
})

describe('createTokenIssuer', () => {
  it('needs tokens only when a client is configured, and then authenticates only a match', () => {
    const open = createTokenIssuer({ clients: {}, ttlSeconds: 60 })
    expect(open.required).toBe(false)
    expect(open.authenticate({ id: 'a', secret: '' })).toBeUndefined()
    const closed = createTokenIssuer({ clients: { a: 'secret-a', b: 'secret-b' }, ttlSeconds: 60 })
    expect(closed.required).toBe(true)
    expect(closed.authenticate(undefined)).toBeUndefined()
    expect(closed.authenticate({ id: 'a', secret: 'secret-a' })).toBe('a')
    expect(closed.authenticate({ id: 'b', secret: 'secret-b' })).toBe('b')
    expect(closed.authenticate({ id: 'a', secret: 'secret-b' })).toBeUndefined()
    expect(closed.authenticate({ id: 'c', secret: 'secret-a' })).toBeUndefined()
    expect(closed.authenticate({ id: 'A', secret: 'secret-a' })).toBeUndefined()
  })

  it('issues a new random token each time, for its lifetime in seconds', () => {
    const issuer = createTokenIssuer({ clients: { a: 'x' }, ttlSeconds: 42 })
    const first = issuer.issue('a')
    const second = issuer.issue('a')
    expect(first).toMatchObject({ clientId: 'a', expiresIn: 42 })
    expect(first.accessToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(second.accessToken).not.toBe(first.accessToken)
    expect(issuer.check(`Bearer ${first.accessToken}`)).toBe('valid')
    expect(issuer.check(`Bearer ${second.accessToken}`)).toBe('valid')
  })

  it('reads a bearer token in any case and with spaces around it, nothing else', () => {
    const issuer = createTokenIssuer({ clients: { a: 'x' }, ttlSeconds: 60 })
    const { accessToken } = issuer.issue('a')
    for (const header of [`bearer ${accessToken}`, `BEARER   ${accessToken}  `]) {
      expect(issuer.check(header), header).toBe('valid')
    }
    for (const header of [
      `Bearer ${accessToken}x`,
      `Bearer ${accessToken.slice(1)}`,
      `Bearer ${accessToken} extra`,
      `Basic ${accessToken}`,
      `XBearer ${accessToken}`,
      'Bearer',
      '',
    ]) {
      expect(issuer.check(header), header).toBe('invalid')
    }
    expect(issuer.check(undefined)).toBe('missing')
  })

  it('answers expired until a newer token is issued, then forgets the expired one', () => {
    let now = 0
    const issuer = createTokenIssuer({ clients: { a: 'x' }, ttlSeconds: 10, now: () => now })
    const old = issuer.issue('a').accessToken
    now = 9_999
    const newer = issuer.issue('a').accessToken
    now = 10_000
    expect(issuer.check(`Bearer ${old}`)).toBe('expired')
    // Issued at the moment the old one expires: the old one is dropped.
    issuer.issue('a')
    expect(issuer.check(`Bearer ${old}`)).toBe('invalid')
    // The newer one lives on until its own end.
    expect(issuer.check(`Bearer ${newer}`)).toBe('valid')
    now = 19_999
    expect(issuer.check(`Bearer ${newer}`)).toBe('expired')
  })
})
