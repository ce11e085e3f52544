import { generateKeyPair, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import type { KeyAlg } from './algorithms.js'

const generateKeyPairAsync = promisify(generateKeyPair)

export type KeyKind = 'rsa' | 'ec'

/** A new key pair as two JWK Sets: the private one for CONFIG_KEYS, the public one for `encrypt`. */
export interface GeneratedKeySet {
  readonly kid: string
  readonly alg: KeyAlg
  readonly privateJwks: { keys: object[] }
  readonly publicJwks: { keys: object[] }
}

/**
 * Makes an RSA-OAEP-256 (3072-bit) or EC P-256 ECDH-ES+A256KW key pair with Node's native crypto.
 * The kid defaults to the date and a random suffix, so rotated keys sort by age.
 */
export async function generateKeySet(kind: KeyKind, kid = defaultKid()): Promise<GeneratedKeySet> {
  const alg: KeyAlg = kind === 'rsa' ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW'
  const pair =
    kind === 'rsa'
      ? await generateKeyPairAsync('rsa', { modulusLength: 3072 })
      : await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
  const extra = { kid, alg, use: 'enc' }
  return {
    kid,
    alg,
    privateJwks: { keys: [{ ...pair.privateKey.export({ format: 'jwk' }), ...extra }] },
    publicJwks: { keys: [{ ...pair.publicKey.export({ format: 'jwk' }), ...extra }] },
  }
}

function defaultKid(): string {
  return `${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`
}
