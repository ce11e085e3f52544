// The document stage's one entry: raw bytes from a source in, a decrypted document out. Parsing
// happens here and nowhere else.
import { hash } from 'node:crypto'
import { SidecarError } from '../support/errors.js'
import { DOCUMENT_LIMITS } from '../support/limits.js'
import type { RawConfig, RawDocument } from '../sources/source.js'
import type { SecretDecryptor } from './crypto/index.js'
import { detectFormat, parseDocument } from './parse.js'
import { deepMerge, isRecord, newRecord } from './record.js'
import type { ConfigRecord } from './record.js'
import { decryptSecrets } from './secrets.js'
import type { DocumentPath, SecretCache } from './secrets.js'
import { expansionLimit, measureJson } from './size.js'
import { isSpringEnvironment, mergeSpringEnvironment } from './spring.js'
import { chooseVersion } from './version.js'

/** A document ready to be served: decrypted, with where its secrets are and its version. */
export interface PreparedDocument {
  /** The decrypted document. */
  readonly document: ConfigRecord
  /** Where the decrypted values are (the `?redact` view hides exactly these). */
  readonly secretPaths: readonly DocumentPath[]
  /**
   * The upstream's version when it gives a usable one (printable ASCII, at most 200 characters),
   * else a hash of the bytes as fetched (secrets still encrypted): never a hash of decrypted values,
   * which would give a short secret away. Always a valid HTTP header value.
   */
  readonly version: string
  /**
   * What the caller should log (as warnings): an upstream version that was not used, a property
   * that could not be served. Each names keys, never values; empty for a well-formed document.
   */
  readonly notices: readonly string[]
  /** Ciphertext → plaintext of this document's secrets, for the next refresh (in memory only). */
  readonly secrets: SecretCache
  /** How many secrets needed decryption (0 when every secret was unchanged). */
  readonly decrypted: number
}

/**
 * Turns raw bytes from a source into a {@link PreparedDocument}: size check, whole-document JWE,
 * JSON/YAML parse (a directory's files merged in order), Spring environment merge, secret
 * decryption, and the expanded document checked against its bound (at most 4× the bytes fetched
 * and the size limit). Throws a SidecarError on the first problem; the caller keeps the last good
 * config. `previous` holds the secrets of the config served now: an unchanged secret is not
 * decrypted again. `version` is the upstream's own (its `X-Config-Version` header), if any.
 */
export async function prepareConfig(
  raw: RawConfig,
  options: {
    where: string
    decryptor: SecretDecryptor | undefined
    previous: SecretCache
    version?: string | undefined
  },
): Promise<PreparedDocument> {
  const bytes = raw.documents.reduce((total, part) => total + part.body.length, 0)
  if (bytes > DOCUMENT_LIMITS.maxBytes) {
    throw new SidecarError(
      'ERR_DOCUMENT_TOO_LARGE',
      `${options.where} is ${bytes} bytes, over the limit of ${DOCUMENT_LIMITS.maxBytes}`,
    )
  }
  let document: ConfigRecord
  let wholeDocumentSecret = false
  if (raw.documents.length === 1) {
    const parsed = await parseOne(raw.documents[0]!, options)
    document = parsed.document
    wholeDocumentSecret = parsed.encrypted
  } else {
    document = newRecord()
    for (const part of raw.documents) deepMerge(document, (await parseOne(part, options)).document)
  }

  const limit = expansionLimit(bytes)
  const notices: string[] = []
  let springVersion: string | undefined
  if (isSpringEnvironment(document)) {
    const merged = mergeSpringEnvironment(document, options.where, { maxBytes: limit })
    document = merged.document
    springVersion = merged.version
    for (const notice of merged.notices) notices.push(notice)
  }
  const version = chooseVersion(
    [
      { from: `the X-Config-Version header of ${options.where}`, version: options.version },
      { from: `the Spring environment of ${options.where}`, version: springVersion },
    ],
    () => fetchedBytesHash(raw),
    notices,
  )

  const decrypted = await decryptSecrets(document, options.decryptor, options.previous)
  // What is served, as JSON, stays within the bound (decrypted values included).
  measureJson(decrypted.document, limit, options.where)
  return {
    document: decrypted.document,
    secretPaths: wholeDocumentSecret ? leafPaths(decrypted.document) : decrypted.secretPaths,
    version,
    notices,
    secrets: decrypted.cache,
    decrypted: decrypted.decrypted,
  }
}

/** Parses one document; a body of type `application/jose` is decrypted first. */
async function parseOne(
  part: RawDocument,
  options: { where: string; decryptor: SecretDecryptor | undefined },
): Promise<{ document: ConfigRecord; encrypted: boolean }> {
  const where = part.file === undefined ? options.where : `file:${part.file}`
  let text = part.body.toString('utf8')
  let contentType = part.contentType
  let encrypted = false
  if (contentType?.toLowerCase().startsWith('application/jose')) {
    if (options.decryptor === undefined) {
      throw new SidecarError(
        'ERR_SECRET_NO_KEYS',
        `${where} is an encrypted document (application/jose) and CONFIG_KEYS is not set`,
      )
    }
    try {
      text = (await options.decryptor.decrypt(text.trim())).toString('utf8')
    } catch (error) {
      const detail = error instanceof SidecarError ? error : undefined
      throw new SidecarError(
        detail?.code ?? 'ERR_SECRET_DECRYPTION_FAILED',
        `${where}: the encrypted document ${detail?.message ?? 'could not be decrypted'}`,
      )
    }
    contentType = undefined
    encrypted = true
  }
  const format = detectFormat({ contentType, fileName: part.file }, text)
  return { document: await parseDocument(text, format, where), encrypted }
}

/** The version of a source that gives none: a hash of the bytes as fetched, in order. */
function fetchedBytesHash(raw: RawConfig): string {
  return hash(
    'sha256',
    Buffer.concat(raw.documents.flatMap((part) => [part.body, Buffer.from('\0')])),
    'base64url',
  )
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
