// One entry for every format of Config as files: the rendered text of a document, or a refusal.
import type { Format } from '../settings/formats.js'
import { isRefusal, renderFlat } from './flat.js'
import type { RenderRefusal } from './flat.js'
import { renderEnv } from './env.js'
import { renderProperties } from './properties.js'
import { renderYaml } from './yaml.js'

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

function textOrRefusal(
  result: string | RenderRefusal,
  contentType: string,
): Rendered | RenderRefusal {
  return isRefusal(result) ? result : { text: result, contentType, notes: [] }
}

export { isRefusal } from './flat.js'
export type { RenderRefusal } from './flat.js'
