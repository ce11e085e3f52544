import { describe, expect, it } from 'vitest'
import {
  createBearerCheck,
  isForwarded,
  isLoopbackHost,
  matchesEtag,
} from '../../src/http/guards.js'

describe('createBearerCheck', () => {
  // Made in each call, so that mutation testing sees every test cover createBearerCheck itself.
  const check = (authorization: string | undefined): boolean =>
    createBearerCheck('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')(authorization)

  it('accepts the token, with any case of the scheme and extra spaces', () => {
    expect(check('Bearer abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')).toBe(true)
    expect(check('bearer abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')).toBe(true)
    expect(check('BEARER   abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG  ')).toBe(true)
  })

  it('refuses a wrong token of the same length, a prefix, another scheme and nothing', () => {
    expect(check('Bearer abcdefghijklmnopqrstuvwxyz0123456789ABCDEFH')).toBe(false)
    expect(check('Bearer Abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')).toBe(false)
    expect(check('Bearer abcdefghijklmnopqrstuvwxyz0123456789ABCDEF')).toBe(false)
    expect(check('Basic abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')).toBe(false)
    expect(check('Bearer abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG extra')).toBe(false)
  })

  it('refuses the token with anything appended: the lengths must match exactly', () => {
    expect(check('Bearer abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH')).toBe(false)
    expect(check('Bearer abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG0123456789')).toBe(false)
    expect(check('bearer abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGx')).toBe(false)
    expect(check('')).toBe(false)
    expect(check(undefined)).toBe(false)
  })

  it('refuses the scheme anywhere but at the start, and the token in another header shape', () => {
    expect(check('XBearer abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')).toBe(false)
    expect(check('Basic x Bearer abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')).toBe(false)
    expect(check('Bearer  abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')).toBe(true)
    expect(check('Bearer\tabcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')).toBe(true)
  })
})

describe('request guards', () => {
  it('sees proxy headers', () => {
    expect(isForwarded({ 'x-forwarded-for': '10.0.0.1' })).toBe(true)
    expect(isForwarded({ forwarded: 'for=10.0.0.1' })).toBe(true)
    expect(isForwarded({ host: 'localhost' })).toBe(false)
  })

  it('accepts loopback Host names only, every time', () => {
    for (const host of [
      'localhost',
      'localhost:8082',
      'app.localhost:1',
      '127.0.0.1',
      '127.1.2.3:80',
      '[::1]:8082',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true)
      expect(isLoopbackHost(host), `${host} again`).toBe(true)
    }
    for (const host of [
      'evil.example.com',
      'localhost.evil.com',
      '128.0.0.1',
      '0.0.0.0',
      '[::2]',
      '127.0.0.1.nip.io',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false)
    }
  })

  it('takes a request without Host (HTTP/1.0) as local', () => {
    expect(isLoopbackHost(undefined)).toBe(true)
  })

  it('strips W/ only as a prefix, and reads * with spaces around it', () => {
    expect(matchesEtag(' * ', '"a"')).toBe(true)
    expect(matchesEtag('"aW/b"', '"ab"')).toBe(false)
    expect(matchesEtag('"ab"', '"aW/b"')).toBe(false)
    expect(matchesEtag('"a"', 'W/"a"')).toBe(true)
  })

  it('compares ETags weakly, in lists and with *', () => {
    expect(matchesEtag('"a"', '"a"')).toBe(true)
    expect(matchesEtag('W/"a"', '"a"')).toBe(true)
    expect(matchesEtag('"b", "a"', '"a"')).toBe(true)
    expect(matchesEtag('*', '"a"')).toBe(true)
    expect(matchesEtag('"b"', '"a"')).toBe(false)
    expect(matchesEtag(undefined, '"a"')).toBe(false)
  })
})
