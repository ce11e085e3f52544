import { createConfigState } from './config-state.js'
import type { ConfigState } from './config-state.js'
import type { SecretDecryptor } from './crypto/index.js'
import { SidecarError } from './errors.js'
import { DOCUMENT_LIMITS } from './document/limits.js'
import { detectFormat, parseDocument } from './document/parse.js'
import { isRecord } from './document/record.js'
import { isSpringEnvironment, mergeSpringEnvironment } from './document/spring.js'
import { decryptSecrets } from './secrets.js'
import type { DocumentPath, SecretCache } from './secrets.js'
import type { RawConfig } from './sources/source.js'

/** The outcome of turning a source's answer into servable config. */
export interface Prepared {
  readonly state: ConfigState
  /** How many secrets needed decryption (0 when every secret was unchanged). */
  readonly decrypted: number
}

/**
 * Turns raw bytes from a source into a {@link ConfigState}: size check, whole-document JWE,
 * JSON/YAML parse, Spring environment merge, secret decryption. Throws a SidecarError on the first
 * problem; the caller keeps the last good config.
 */
export async function prepareConfig(
  raw: RawConfig,
  options: {
    where: string
    decryptor: SecretDecryptor | undefined
    previous: SecretCache
    version?: string | undefined
  },
): Promise<Prepared> {
  if (raw.body.length > DOCUMENT_LIMITS.maxBytes) {
    throw new SidecarError(
      'ERR_DOCUMENT_TOO_LARGE',
      `${options.where} is ${raw.body.length} bytes, over the limit of ${DOCUMENT_LIMITS.maxBytes}`,
    )
  }
  let text = raw.body.toString('utf8')
  let contentType = raw.contentType
  let wholeDocumentSecret = false
  if (contentType?.toLowerCase().startsWith('application/jose')) {
    if (options.decryptor === undefined) {
      throw new SidecarError(
        'ERR_SECRET_NO_KEYS',
        `${options.where} is an encrypted document (application/jose) and CONFIG_KEYS is not set`,
      )
    }
    try {
      text = (await options.decryptor.decrypt(text.trim())).toString('utf8')
    } catch (error) {
      const detail = error instanceof SidecarError ? error : undefined
      throw new SidecarError(
        detail?.code ?? 'ERR_SECRET_DECRYPTION_FAILED',
        `${options.where}: the encrypted document ${detail?.message ?? 'could not be decrypted'}`,
      )
    }
    contentType = undefined
    wholeDocumentSecret = true
  }

  let document = await parseDocument(text, detectFormat({ contentType }, text), options.where)
  let version = options.version
  if (isSpringEnvironment(document)) {
    const merged = mergeSpringEnvironment(document, options.where)
    document = merged.document
    version ??= merged.version
  }

  const decrypted = await decryptSecrets(document, options.decryptor, options.previous)
  const secretPaths = wholeDocumentSecret ? leafPaths(decrypted.document) : decrypted.secretPaths
  return {
    state: createConfigState({
      document: decrypted.document,
      version,
      secretPaths,
      secrets: decrypted.cache,
    }),
    decrypted: decrypted.decrypted,
  }
}

// Every value of a document that arrived as one JWE is a decrypted value, so `?redact` hides them all.
function leafPaths(
  value: unknown,
  path: (string | number)[] = [],
  out: DocumentPath[] = [],
): DocumentPath[] {
  if (Array.isArray(value)) value.forEach((item, index) => leafPaths(item, [...path, index], out))
  else if (isRecord(value))
    for (const key of Object.keys(value)) leafPaths(value[key], [...path, key], out)
  else out.push(path)
  return out
}
