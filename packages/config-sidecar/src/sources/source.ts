/** One document as a source delivered it: the bytes, and how to read them. */
export interface RawDocument {
  readonly body: Buffer
  /** `application/json`, a YAML type, or `application/jose` (one JWE holding the whole document). */
  readonly contentType: string | undefined
  /** The file it came from, for file sources: its extension says JSON or YAML, and messages name it. */
  readonly file?: string | undefined
}

/**
 * What a source answered, before parsing: the bytes as fetched. One document from an HTTP upstream
 * or a file; a directory's files in merge order (later files win). Sources never parse: the
 * document stage parses once.
 */
export interface RawConfig {
  readonly documents: readonly RawDocument[]
}

/** What the next fetch sends to learn cheaply whether anything changed. */
export interface Validators {
  readonly etag?: string | undefined
  readonly lastModified?: string | undefined
  /** A hash of the last body: an unchanged body is not parsed again. */
  readonly contentHash?: string | undefined
}

export type FetchResult =
  | { readonly kind: 'unchanged'; readonly validators: Validators }
  | {
      readonly kind: 'changed'
      readonly raw: RawConfig
      readonly validators: Validators
      readonly version?: string | undefined
    }

/** Where config comes from: a file or directory, or an HTTP upstream. */
export interface ConfigSource {
  /** The source without credentials, for logs and /status (`file:/etc/config`, `https://host/app/default`). */
  readonly display: string
  readonly kind: 'file' | 'http'
  /** Fetches the config, or learns that it is unchanged since `validators`. One call at a time. */
  fetch(validators: Validators | undefined, signal: AbortSignal): Promise<FetchResult>
  /** Calls `onChange` when the source may have changed (file sources); returns a stop function. */
  watch?(onChange: () => void, onError: (error: unknown) => void): Promise<() => Promise<void>>
}
