/** What a source answered, before parsing: the bytes and how to read them. */
export interface RawConfig {
  readonly body: Buffer
  /** `application/json`, a YAML type, or `application/jose` (one JWE holding the whole document). */
  readonly contentType: string | undefined
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
