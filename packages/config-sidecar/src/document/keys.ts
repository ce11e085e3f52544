// The private keys of CONFIG_KEYS, read once at start and handed to the decryptor.
import type { Settings } from '../settings/settings.js'
import { readValueRef } from '../settings/value-ref.js'
import { SidecarError } from '../support/errors.js'
import { createDecryptor } from './crypto/index.js'
import type { SecretDecryptor } from './crypto/index.js'

/**
 * The decryptor for CONFIG_KEYS, or undefined without keys. Keys that cannot be used (a missing
 * file, bad JSON, a key without `kid`) are ERR_SECRET_NO_KEYS, naming where they came from.
 */
export async function loadKeys(keys: Settings['keys']): Promise<SecretDecryptor | undefined> {
  if (keys === undefined) return undefined
  const where = keys.kind === 'file' ? `CONFIG_KEYS file ${keys.path}` : 'CONFIG_KEYS'
  try {
    return await createDecryptor(await readValueRef(keys, 'CONFIG_KEYS'), where)
  } catch (error) {
    if (error instanceof SidecarError && error.code !== 'ERR_SECRET_NO_KEYS')
      throw new SidecarError('ERR_SECRET_NO_KEYS', error.message, { cause: error })
    throw error
  }
}
