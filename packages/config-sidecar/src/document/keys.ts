// The private keys of CONFIG_KEYS, read once at start and handed to the decryptor.
import type { Settings } from '../settings/settings.js'
import { readValueRef } from '../settings/value-ref.js'
import { SidecarError } from '../support/errors.js'
import { createDecryptor, preloadDecryption } from './crypto/index.js'
import type { SecretDecryptor } from './crypto/index.js'
import { demoKeyIdsIn } from './demo-key.js'

/** The keys of CONFIG_KEYS: the decryptor, and which of them are the shipped (public) demo keys. */
export interface LoadedKeys {
  readonly decryptor: SecretDecryptor | undefined
  /** Kids of the keys that belong to the shipped demo key set (by kid or thumbprint); often empty. */
  readonly demoKeyIds: readonly string[]
}

/**
 * The decryptor for CONFIG_KEYS (undefined without keys) and which of its keys are the shipped
 * demo keys (read from the same text). Keys that cannot be used (a missing file, bad JSON, a key
 * without `kid`) are ERR_SECRET_NO_KEYS, naming where they came from. Each key is imported here,
 * once. node-jose starts loading here too, but is not waited for: it loads while the sidecar reads
 * its snapshot, binds and fetches the source, and the first secret waits for it.
 */
export async function loadKeySet(keys: Settings['keys']): Promise<LoadedKeys> {
  if (keys === undefined) return { decryptor: undefined, demoKeyIds: [] }
  preloadDecryption()
  const where = keys.kind === 'file' ? `CONFIG_KEYS file ${keys.path}` : 'CONFIG_KEYS'
  try {
    const jwkSetJson = await readValueRef(keys, 'CONFIG_KEYS')
    const decryptor = await createDecryptor(jwkSetJson, where)
    return { decryptor, demoKeyIds: demoKeyIdsIn(jwkSetJson) }
  } catch (error) {
    if (error instanceof SidecarError && error.code !== 'ERR_SECRET_NO_KEYS')
      throw new SidecarError('ERR_SECRET_NO_KEYS', error.message, { cause: error })
    throw error
  }
}
