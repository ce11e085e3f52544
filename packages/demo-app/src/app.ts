import express from 'express'
import type { Request, Response } from 'express'
import { errorBody } from '@sample/shared'
import type { ErrorCode } from '@sample/shared'
import type { Logger } from './logger.js'
import type { SidecarAnswer, SidecarClient } from './sidecar-client.js'

export interface AppDeps {
  readonly sidecar: SidecarClient
  readonly sidecarPort: number
  readonly logger: Logger
  /** Extra routes (the live page); mounted before the 404 handler. */
  readonly mount?: (app: express.Express) => void
}

/** Seconds a caller should wait before asking again when the sidecar cannot answer. */
const RETRY_AFTER_SECONDS = 2
const PASSED_HEADERS = ['etag', 'x-config-version', 'x-config-stale', 'age'] as const

/**
 * The demo app: `GET /config` asks the sidecar for `/config/`, as in the original sample. When the
 * sidecar is down, slow or not ready, it answers 503 with Retry-After within 2 s, never an empty 200.
 */
export function createApp(deps: AppDeps): express.Express {
  const { sidecar, logger } = deps
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')

  app.get('/config', async (req: Request, res: Response) => {
    logger.info(
      `Sending a request to the config-server sidecar at localhost:${deps.sidecarPort}/config/`,
    )
    const conditional = req.headers['if-none-match']
    let answer: SidecarAnswer
    try {
      answer = await sidecar.get(
        '/config/',
        typeof conditional === 'string' ? { 'if-none-match': conditional } : {},
      )
    } catch (error) {
      const code = (error as { code?: unknown }).code
      logger.warn('the sidecar did not answer', {
        reason: typeof code === 'string' ? code : 'error',
      })
      unavailable(
        res,
        'ERR_SIDECAR_UNAVAILABLE',
        `the config sidecar at localhost:${deps.sidecarPort} did not answer`,
      )
      return
    }
    if (answer.status === 304) {
      passHeaders(answer, res)
      res.status(304).end()
      return
    }
    if (answer.status !== 200 || answer.body.length === 0) {
      logger.warn('the sidecar could not give the config', { status: answer.status })
      unavailable(res, 'ERR_SIDECAR_NOT_READY', `the config sidecar answered HTTP ${answer.status}`)
      return
    }
    logger.info(
      `Received config version ${String(answer.headers['x-config-version'])} from the sidecar`,
      {
        stale: answer.headers['x-config-stale'] === 'true',
        bytes: answer.body.length,
      },
    )
    passHeaders(answer, res)
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': answer.body.length,
    })
    res.end(answer.body)
  })

  app.get('/livez', (_req: Request, res: Response) => {
    res.json({ status: 'alive' })
  })

  app.get('/readyz', async (_req: Request, res: Response) => {
    const ready = await sidecar.get('/readyz').then(
      (answer) => answer.status === 200,
      () => false,
    )
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not-ready', sidecar: ready ? 'ready' : 'not ready' })
  })

  deps.mount?.(app)

  app.use((_req: Request, res: Response) => {
    res
      .status(404)
      .type('application/json')
      .send(errorBody('ERR_NOT_FOUND', 'no such route: see /, /config, /livez, /readyz'))
  })

  return app
}

function passHeaders(answer: SidecarAnswer, res: Response): void {
  for (const name of PASSED_HEADERS) {
    const value = answer.headers[name]
    if (typeof value === 'string') res.setHeader(name, value)
  }
}

function unavailable(res: Response, code: ErrorCode, message: string): void {
  res
    .status(503)
    .set({
      'retry-after': String(RETRY_AFTER_SECONDS),
      'cache-control': 'no-store',
      'content-type': 'application/json; charset=utf-8',
    })
    .send(errorBody(code, message))
}
