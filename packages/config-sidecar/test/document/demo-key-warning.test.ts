// The demo key check on its own: which keys of a JWK Set count as the shipped demo key (by kid
// alone, by thumbprint alone, neither for anything else, whatever the set holds), the RFC 7638
// thumbprint of a key that lacks a member, and the warning's fields.
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { recordingLogger } from '../../../../test-support/logs.js'
import { generateKeySet } from '../../src/document/crypto/index.js'
import {
  DEMO_KEY_IDS,
  DEMO_KEY_THUMBPRINTS,
  demoKeyIdsIn,
  jwkThumbprint,
  warnOfDemoKey,
} from '../../src/document/demo-key.js'

const DEMO_PUBLIC = join(
  resolve(import.meta.dirname, '..', '..', '..', '..', 'samples'),
  'demo-only.public.jwks.json',
)

type Jwk = Record<string, unknown>
const demoPublicKeys = async (): Promise<Jwk[]> =>
  (JSON.parse(await readFile(DEMO_PUBLIC, 'utf8')) as { keys: Jwk[] }).keys

const without = (jwk: Jwk, member: string): Jwk =>
  Object.fromEntries(Object.entries(jwk).filter(([name]) => name !== member))

describe('demoKeyIdsIn', () => {
  it('finds a key by a demo kid alone, even when its key material is another', async () => {
    const own = await generateKeySet('ec', DEMO_KEY_IDS[0])
    expect(demoKeyIdsIn(JSON.stringify(own.privateJwks))).toEqual([DEMO_KEY_IDS[0]])
  })

  it('finds a copy without a kid by its thumbprint, and names it by that thumbprint', async () => {
    const [rsa] = await demoPublicKeys()
    const withoutKid = without(rsa!, 'kid')
    expect(demoKeyIdsIn(JSON.stringify({ keys: [withoutKid] }))).toEqual([
      `(no kid, thumbprint ${DEMO_KEY_THUMBPRINTS[0]})`,
    ])
  })

  it('finds nothing in a set whose keys are not an array or not objects', () => {
    for (const text of ['{}', '{"keys":5}', '{"keys":{"kid":"demo-only-rsa-2026"}}', 'null'])
      expect(demoKeyIdsIn(text)).toEqual([])
    expect(demoKeyIdsIn('{"keys":[null,1,"demo-only-rsa-2026",[]]}')).toEqual([])
  })
})

describe('jwkThumbprint', () => {
  it('is undefined for anything but an object', () => {
    for (const value of [null, undefined, 'RSA', 7, true])
      expect(jwkThumbprint(value)).toBeUndefined()
  })

  it('is undefined for a key with a member missing or not a string', async () => {
    const [rsa, ec] = await demoPublicKeys()
    expect(jwkThumbprint(rsa)).toBe(DEMO_KEY_THUMBPRINTS[0])
    expect(jwkThumbprint({ ...rsa, e: 65537 })).toBeUndefined()
    expect(jwkThumbprint(without(ec!, 'y'))).toBeUndefined()
    expect(jwkThumbprint({ ...ec, kty: 'OKP' })).toBeUndefined()
  })
})

describe('warnOfDemoKey', () => {
  it('logs one warning with the kids, why it matters and the way out', () => {
    const { logger, lines } = recordingLogger()
    warnOfDemoKey(logger, ['a', 'b'])
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      level: 'warn',
      msg: 'CONFIG_KEYS holds the shipped demo key, which is public',
      kids: 'a,b',
      reason:
        'its private key is published in the repository: anything encrypted to it is readable by anyone',
    })
    expect(String(lines[0]!['fix'])).toContain('keygen')
  })

  it('logs nothing without demo kids', () => {
    const { logger, lines } = recordingLogger()
    warnOfDemoKey(logger, [])
    expect(lines).toEqual([])
  })
})
