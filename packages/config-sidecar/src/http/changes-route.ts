// `GET /changes?since=<etag>`: for a long-poll client, which paths changed since the config it holds,
// from the change log of the store (the last 32 changes): `{"from", "to", "keys"}`. Paths only, never
// a value; no ETag and no 304 of its own (the answer describes a span, not a representation).
import type { ServerResponse } from 'node:http'
import { FORMATS } from '../settings/formats.js'
import type { Format } from '../settings/formats.js'
import { KEPT_CHANGES } from '../state/change-log.js'
import type { ServedConfig } from '../state/served-config.js'
import type { ConfigStore } from '../state/store.js'
import type { Metrics } from './metrics.js'
import { sendError, sendJson } from './respond.js'

/** A whole-document view's name in the change log (`json`, `json+redact`, `flat+redact`, …). */
export const viewName = (format: Format, redact: boolean): string =>
  redact ? `${format}+redact` : format

/** `/changes?since=…` after the route's path (`?since=…`), answered on `res`. */
export function answerChanges(
  res: ServerResponse,
  deps: { store: ConfigStore; metrics: Metrics; retryAfterSeconds: number },
  query: string,
): void {
  const { store, metrics } = deps
  const params = new URLSearchParams(query)
  const since = params.get('since')
  if (since === null || since.trim() === '') {
    sendError(
      res,
      metrics,
      'changes',
      'ERR_BAD_REQUEST',
      'ask /changes?since=<etag>, with the ETag of the config you hold',
    )
    return
  }
  const current = store.current()
  if (current === undefined) {
    sendError(
      res,
      metrics,
      'changes',
      'ERR_CONFIG_NOT_READY',
      'no config yet: the first refresh has not succeeded',
      { 'retry-after': deps.retryAfterSeconds },
    )
    return
  }
  const etag = normalise(since)
  const found = store.changes.since(etag)
  if (found === undefined) {
    sendError(
      res,
      metrics,
      'changes',
      'ERR_CHANGES_UNKNOWN_ETAG',
      `that ETag is not one of the configs served since the last ${KEPT_CHANGES} changes: read the config again`,
    )
    return
  }
  sendJson(res, metrics, 'changes', 200, {
    from: etag,
    to: etagNow(current, found.view),
    keys: found.keys,
  })
}

/** `"abc"` as given in an ETag header; also accepted bare (`abc`) or weak (`W/"abc"`). */
function normalise(etag: string): string {
  const strong = etag.trim().replace(/^W\//, '')
  return strong.startsWith('"') ? strong : `"${strong}"`
}

/** The ETag the view named by {@link viewName} has now (null when its format cannot hold the config). */
function etagNow(current: ServedConfig, view: string): string | null {
  const [name = 'json', modifier] = view.split('+')
  const redact = modifier === 'redact'
  const format: Format = (FORMATS as readonly string[]).includes(name) ? (name as Format) : 'json'
  const representation = format === 'json' ? current.at([], redact) : current.format(format, redact)
  return representation !== undefined && 'etag' in representation ? representation.etag : null
}
