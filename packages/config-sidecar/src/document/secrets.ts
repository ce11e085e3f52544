import { SECRET_PREFIX } from './crypto/index.js'
import type { SecretDecryptor } from './crypto/index.js'
import { SidecarError, isSidecarError } from '../support/errors.js'
import { formatPath } from './path.js'
import type { DocumentPath } from './path.js'
import { isRecord } from './record.js'
import type { ConfigRecord } from './record.js'

export { formatPath } from './path.js'
export type { DocumentPath } from './path.js'

/** Decrypted plaintext by compact JWE, so a refresh does not decrypt an unchanged secret again. */
export type SecretCache = ReadonlyMap<string, string>

export interface DecryptedDocument {
  readonly document: ConfigRecord
  /** Where the decrypted values are, for `?redact`. */
  readonly secretPaths: readonly DocumentPath[]
  /** This document's secrets only: secrets that were removed are dropped from memory. */
  readonly cache: SecretCache
  /** How many secrets were decrypted now (not taken from the previous cache). */
  readonly decrypted: number
}

/**
 * Replaces every `{jwe}…` string of a document with its plaintext, in place. All or nothing: the
 * first secret that cannot be decrypted throws, naming its key path and the reason, never a value.
 */
export async function decryptSecrets(
  document: ConfigRecord,
  decryptor: SecretDecryptor | undefined,
  previous: SecretCache,
): Promise<DecryptedDocument> {
  const found: {
    path: DocumentPath
    compact: string
    parent: ConfigRecord | unknown[]
    key: string | number
  }[] = []
  collect(document, [], found)
  const cache = new Map<string, string>()
  let decrypted = 0
  for (const secret of found) {
    let plaintext = cache.get(secret.compact) ?? previous.get(secret.compact)
    if (plaintext === undefined) {
      if (decryptor === undefined) {
        throw new SidecarError(
          'ERR_SECRET_NO_KEYS',
          `secret at ${formatPath(secret.path)} cannot be decrypted: CONFIG_KEYS is not set`,
        )
      }
      try {
        plaintext = (await decryptor.decrypt(secret.compact)).toString('utf8')
      } catch (error) {
        const code = isSidecarError(error) ? error.code : 'ERR_SECRET_DECRYPTION_FAILED'
        const reason = isSidecarError(error) ? error.message : 'could not be decrypted'
        throw new SidecarError(code, `secret at ${formatPath(secret.path)} ${reason}`, {
          cause: error,
        })
      }
      decrypted += 1
    }
    cache.set(secret.compact, plaintext)
    if (Array.isArray(secret.parent)) secret.parent[secret.key as number] = plaintext
    else secret.parent[secret.key as string] = plaintext
  }
  return { document, secretPaths: found.map((secret) => secret.path), cache, decrypted }
}

function collect(
  value: unknown,
  path: (string | number)[],
  found: {
    path: DocumentPath
    compact: string
    parent: ConfigRecord | unknown[]
    key: string | number
  }[],
): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      if (typeof item === 'string' && item.startsWith(SECRET_PREFIX)) {
        found.push({
          path: [...path, index],
          compact: item.slice(SECRET_PREFIX.length).trim(),
          parent: value,
          key: index,
        })
      } else {
        collect(item, [...path, index], found)
      }
    })
  } else if (isRecord(value)) {
    for (const key of Object.keys(value)) {
      const item = value[key]
      if (typeof item === 'string' && item.startsWith(SECRET_PREFIX)) {
        found.push({
          path: [...path, key],
          compact: item.slice(SECRET_PREFIX.length).trim(),
          parent: value,
          key,
        })
      } else {
        collect(item, [...path, key], found)
      }
    }
  }
}
