import { SidecarError } from '../../support/errors.js'
import { isAllowedAlg, isAllowedEnc } from './algorithms.js'
import type { ContentEnc, KeyAlg } from './algorithms.js'

/** The protected header fields the sidecar looks at before any decryption work. */
export interface JweHeader {
  readonly alg: KeyAlg
  readonly enc: ContentEnc
  readonly kid: string | undefined
  /** Every field of the protected header (ECDH-ES reads `epk`, `apu` and `apv` from it). */
  readonly fields: Readonly<Record<string, unknown>>
  /** The five parts of the compact serialization, still base64url. */
  readonly parts: readonly [string, string, string, string, string]
}

const BASE64URL = /^[A-Za-z0-9_-]*$/

/**
 * Reads and checks the protected header of a compact JWE: five base64url parts, an allowed `alg`
 * and `enc`, no compression and no critical extensions. Throws ERR_SECRET_MALFORMED or
 * ERR_SECRET_ALGORITHM_REFUSED. Nothing here is secret: the header is public.
 */
export function readCompactHeader(compact: string): JweHeader {
  const parts = compact.split('.')
  if (parts.length !== 5 || !parts.every((part) => BASE64URL.test(part))) {
    throw new SidecarError('ERR_SECRET_MALFORMED', 'is not a compact JWE (five base64url parts)')
  }
  // The ciphertext may be empty: it is when the value is the empty string (RFC 7516 allows it).
  const five = parts as [string, string, string, string, string]
  const [protectedPart, , iv, , tag] = five
  if (protectedPart === '' || iv === '' || tag === '') {
    throw new SidecarError(
      'ERR_SECRET_MALFORMED',
      'is a compact JWE with an empty header, iv or tag',
    )
  }
  let header: unknown
  try {
    header = JSON.parse(Buffer.from(protectedPart, 'base64url').toString('utf8'))
  } catch {
    throw new SidecarError('ERR_SECRET_MALFORMED', 'has a protected header that is not JSON')
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SidecarError('ERR_SECRET_MALFORMED', 'has a protected header that is not an object')
  }
  const fields = header as Record<string, unknown>
  const { alg, enc, kid, zip, crit } = fields
  if (!isAllowedAlg(alg)) {
    throw new SidecarError(
      'ERR_SECRET_ALGORITHM_REFUSED',
      `uses alg ${JSON.stringify(alg ?? null)}, which is not accepted`,
    )
  }
  if (!isAllowedEnc(enc)) {
    throw new SidecarError(
      'ERR_SECRET_ALGORITHM_REFUSED',
      `uses enc ${JSON.stringify(enc ?? null)}, which is not accepted`,
    )
  }
  if (zip !== undefined) {
    throw new SidecarError(
      'ERR_SECRET_ALGORITHM_REFUSED',
      'is compressed (zip), which is not accepted',
    )
  }
  if (crit !== undefined) {
    throw new SidecarError(
      'ERR_SECRET_ALGORITHM_REFUSED',
      'has critical header extensions (crit), which are not accepted',
    )
  }
  if (kid !== undefined && typeof kid !== 'string') {
    throw new SidecarError('ERR_SECRET_MALFORMED', 'has a kid that is not a string')
  }
  return { alg, enc, kid, fields, parts: five }
}
