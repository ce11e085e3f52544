// THE ARTICLE'S APP. `GET /config` below is the 15-line Ruby handler of the 2019 Cloud Foundry
// sidecar post, in TypeScript: ask the sidecar beside it for the config, log two lines, answer.
// Holds: the express app: GET /config, /livez, /readyz, the headers of every answer, the 404.
//   The live page is in ./page/; how the app itself reads a secret is in ./use-a-secret.ts.
// May import: express, @sample/shared, and types from ./sidecar-client.js, ./sidecar-state.js and
//   ./page/page.js. Never got (only ./sidecar-client.ts talks HTTP to the sidecar).
import express from 'express'
import type { Request, Response } from 'express'
import { CONFIG_HEADERS, errorBody, SIDECAR_PATHS } from '@sample/shared'
import type { ErrorCode, Logger } from '@sample/shared'
import type { SidecarAnswer, SidecarClient } from './sidecar-client.js'
import type { SidecarState } from './sidecar-state.js'
import type { Page } from './page/page.js'

export interface AppDeps {
  readonly sidecar: SidecarClient
  readonly sidecarPort: number
  readonly state: SidecarState
  readonly logger: Logger
  /** The live page (GET / and GET /events); without it the app serves the article's routes only. */
  readonly page?: Page
}

export function createApp({ sidecar, sidecarPort, state, logger, page }: AppDeps): express.Express {
  const app = express().disable('x-powered-by').disable('etag')
  app.use(everyAnswer)

  // The article's handler. This port is public (a route in Cloud Foundry, a Service in Kubernetes),
  // so it asks for the REDACTED view: every secret leaves as "[redacted]", never decrypted.
  app.get('/config', async (req: Request, res: Response) => {
    const sidecarAt = `localhost:${sidecarPort}`
    logger.info(`Sending a request to the config-server sidecar at ${sidecarAt}/config/`)
    const answer = await sidecar
      .get(`${SIDECAR_PATHS.config}?redact`, conditional(req))
      .catch((error: unknown) =>
        logger.warn('the sidecar did not answer', { reason: codeOf(error) }),
      )
    if (answer === undefined) {
      return unavailable(
        res,
        'ERR_SIDECAR_UNAVAILABLE',
        `the config sidecar at ${sidecarAt} did not answer`,
      )
    }
    if (answer.status === 304) return passOn(answer, res, 304)
    if (answer.status !== 200 || answer.body.length === 0) {
      logger.warn('the sidecar could not give the config', { status: answer.status })
      return unavailable(
        res,
        'ERR_SIDECAR_NOT_READY',
        `the config sidecar answered HTTP ${answer.status}`,
      )
    }
    const version = String(answer.headers[CONFIG_HEADERS.version])
    const stale = answer.headers[CONFIG_HEADERS.stale] === 'true'
    logger.info(`Received config version ${version} from the sidecar`, {
      stale,
      bytes: answer.body.length,
    })
    passOn(answer, res, 200)
  })

  app.get('/livez', (_req: Request, res: Response) => {
    res.json({ status: 'alive' })
  })
  app.get('/readyz', async (_req: Request, res: Response) => {
    const ready = await state.ready().catch(() => false)
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not-ready' })
  })

  if (page !== undefined) app.use(page.router)

  app.use((_req: Request, res: Response) => {
    res
      .status(404)
      .type('application/json')
      .send(errorBody('ERR_NOT_FOUND', 'no such route: see /, /config, /livez, /readyz'))
  })
  return app
}

/** Seconds a caller should wait before asking again when the sidecar cannot answer. */
const RETRY_AFTER_SECONDS = 2
/** The sidecar's config headers, passed on as they are (SPEC.md: What it serves). */
const PASSED_HEADERS = [
  CONFIG_HEADERS.etag,
  CONFIG_HEADERS.version,
  CONFIG_HEADERS.stale,
  CONFIG_HEADERS.age,
] as const

/** The caller's If-None-Match, passed on: the sidecar answers 304 while the view is unchanged. */
function conditional(req: Request): Record<string, string> {
  const etag = req.headers['if-none-match']
  return etag === undefined ? {} : { 'if-none-match': etag }
}

/** On every answer, errors included: browsers must not guess a type other than the one sent. */
function everyAnswer(_req: Request, res: Response, next: () => void): void {
  res.setHeader('x-content-type-options', 'nosniff')
  next()
}

/** Answers with the sidecar's answer: its config headers, and for a 200 its JSON body. */
function passOn(answer: SidecarAnswer, res: Response, status: 200 | 304): void {
  for (const name of PASSED_HEADERS) {
    const value = answer.headers[name]
    if (typeof value === 'string') res.setHeader(name, value)
  }
  if (status === 304) {
    res.writeHead(304, { 'cache-control': 'no-store' }).end()
    return
  }
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': answer.body.length,
  })
  res.end(answer.body)
}

/** 503 with Retry-After and a JSON error: never a hang, never an empty 200. */
function unavailable(res: Response, code: ErrorCode, message: string): void {
  res
    .status(503)
    .set({ 'retry-after': String(RETRY_AFTER_SECONDS), 'cache-control': 'no-store' })
    .type('application/json; charset=utf-8')
    .send(errorBody(code, message))
}

/** A network error's code (ECONNREFUSED, ETIMEDOUT…), never its message. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : 'error'
}
