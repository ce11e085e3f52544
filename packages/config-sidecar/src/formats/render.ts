// One entry for every format of Config as files: the rendered text of a document, or a refusal.
import type { Format } from '../settings/formats.js'
import { isRefusal, renderFlat, writeFlat } from './flat.js'
import type { RenderRefusal, TextSink } from './flat.js'
import { renderEnv, writeEnv } from './env.js'
import { renderProperties, writeProperties } from './properties.js'
import { renderYaml, writeYaml } from './yaml.js'

/** A document rendered in one format. */
export interface Rendered {
  readonly text: string
  readonly contentType: string
  /** Key paths a reader of this format should know about (`.env`: values only `sh` reads exactly). */
  readonly notes: readonly string[]
}

/** The media type each format is served with on `GET /config/?format=`. */
export const CONTENT_TYPES: Readonly<Record<Format, string>> = {
  json: 'application/json; charset=utf-8',
  flat: 'application/json; charset=utf-8',
  properties: 'text/plain; charset=utf-8',
  env: 'text/plain; charset=utf-8',
  yaml: 'application/yaml; charset=utf-8',
}

/**
 * Renders `document` in `format`. `json` is the served document's bytes exactly (as `/config/`);
 * the others refuse, naming the key paths, a document they cannot hold whole.
 */
export function renderFormat(document: unknown, format: Format): Rendered | RenderRefusal {
  const contentType = CONTENT_TYPES[format]
  switch (format) {
    case 'json':
      return { text: JSON.stringify(document), contentType, notes: [] }
    case 'flat':
      return textOrRefusal(renderFlat(document), contentType)
    case 'properties':
      return textOrRefusal(renderProperties(document), contentType)
    case 'yaml':
      return { text: renderYaml(document), contentType, notes: [] }
    case 'env': {
      const rendered = renderEnv(document)
      if (isRefusal(rendered)) return rendered
      return { text: rendered.text, contentType, notes: rendered.shOnly }
    }
  }
}

/** A document rendered in one format, as the UTF-8 bytes served and written. */
export interface RenderedBytes {
  readonly body: Buffer
  readonly contentType: string
  readonly notes: readonly string[]
}

/**
 * {@link renderFormat} as bytes: the same text, encoded in pieces as it is written, so a large
 * document is never held as one more string (nor as the many small strings that would make it).
 */
export function renderFormatBytes(
  document: unknown,
  format: Format,
): RenderedBytes | RenderRefusal {
  const contentType = CONTENT_TYPES[format]
  const sink = new ByteSink()
  let notes: readonly string[] = []
  switch (format) {
    case 'json':
      return { body: Buffer.from(JSON.stringify(document), 'utf8'), contentType, notes }
    case 'flat': {
      const refusal = writeFlat(document, sink)
      if (refusal !== undefined) return refusal
      break
    }
    case 'properties': {
      const refusal = writeProperties(document, sink)
      if (refusal !== undefined) return refusal
      break
    }
    case 'yaml':
      writeYaml(document, sink)
      break
    case 'env': {
      const rendered = writeEnv(document, sink)
      if (isRefusal(rendered)) return rendered
      notes = rendered.shOnly
      break
    }
  }
  return { body: sink.bytes(), contentType, notes }
}

/** Pieces of text gathered and encoded as UTF-8 a chunk at a time. */
class ByteSink implements TextSink {
  static readonly CHUNK = 64 * 1024
  private parts: string[] = []
  private length = 0
  private readonly chunks: Buffer[] = []

  push(text: string): void {
    this.parts.push(text)
    this.length += text.length
    if (this.length >= ByteSink.CHUNK) this.flush()
  }

  bytes(): Buffer {
    this.flush()
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)
  }

  private flush(): void {
    if (this.parts.length === 0) return
    // Pieces end where a renderer's line or item ends, never inside a surrogate pair.
    this.chunks.push(
      Buffer.from(this.parts.length === 1 ? this.parts[0]! : this.parts.join(''), 'utf8'),
    )
    this.parts = []
    this.length = 0
  }
}

function textOrRefusal(
  result: string | RenderRefusal,
  contentType: string,
): Rendered | RenderRefusal {
  return isRefusal(result) ? result : { text: result, contentType, notes: [] }
}

export { isRefusal } from './flat.js'
export type { RenderRefusal } from './flat.js'
