import type { ServerResponse } from 'node:http'
import { errorBody, statusOf } from '@sample/shared'
import type { ErrorCode } from '@sample/shared'
import type { Metrics, RouteName } from './metrics.js'

export type Headers = Record<string, string | number>

const JSON_TYPE = 'application/json; charset=utf-8'

/** Sends a body with its status and headers and counts the answer. */
export function send(
  res: ServerResponse,
  metrics: Metrics,
  route: RouteName,
  status: number,
  headers: Headers,
  body?: Buffer | string,
): void {
  metrics.countRequest(route, status)
  // No answer is ever to be sniffed into another type (a JSON error read as HTML, say).
  headers['x-content-type-options'] = 'nosniff'
  if (body !== undefined) headers['content-length'] = Buffer.byteLength(body)
  res.writeHead(status, headers)
  res.end(body)
}

/** Sends `{"error":{"code","message"}}` with the code's status; messages never hold a secret. */
export function sendError(
  res: ServerResponse,
  metrics: Metrics,
  route: RouteName,
  code: ErrorCode,
  message: string,
  headers: Headers = {},
): void {
  send(
    res,
    metrics,
    route,
    statusOf(code),
    { 'content-type': JSON_TYPE, 'cache-control': 'no-store', ...headers },
    errorBody(code, message),
  )
}

/** Sends a small JSON document. */
export function sendJson(
  res: ServerResponse,
  metrics: Metrics,
  route: RouteName,
  status: number,
  value: unknown,
): void {
  send(
    res,
    metrics,
    route,
    status,
    { 'content-type': JSON_TYPE, 'cache-control': 'no-store' },
    JSON.stringify(value),
  )
}

export { JSON_TYPE }

/** 405 with the Allow header. */
export function sendMethodNotAllowed(
  res: ServerResponse,
  metrics: Metrics,
  route: RouteName,
  method: string | undefined,
  allow: string,
): void {
  sendError(
    res,
    metrics,
    route,
    'ERR_METHOD_NOT_ALLOWED',
    `${method ?? 'this method'} is not allowed here`,
    { allow },
  )
}

/** 500 with a fixed message: the details go to the log only. */
export function sendInternalError(res: ServerResponse, metrics: Metrics): void {
  sendError(
    res,
    metrics,
    'other',
    'ERR_INTERNAL',
    'internal error (details are in the sidecar log)',
  )
}
