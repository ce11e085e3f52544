// The dev config server: the HTTP routes (environments, OAuth2 tokens, health), the listener and
// the directory watcher.
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { stat } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import { ifNoneMatchHits } from './conditional.js'
import { buildEnvironment } from './environment.js'
import { isDevConfigError } from './errors.js'
import { createFileCache } from './file-cache.js'
import { createLogger } from './logger.js'
import type { Logger } from './logger.js'
import { parseEnvironmentRequest } from './names.js'
import { createRequestLog } from './request-log.js'
import { createTokenIssuer, parseBasicAuthorization } from './tokens.js'
import type { TokenIssuer } from './tokens.js'
import { watchDirectory } from './watcher.js'

export type { Environment, PropertySource } from './environment.js'
export { configNames } from './environment.js'
export { createLogger, silentLogger } from './logger.js'
export type { LogFields, Logger, LogLevel } from './logger.js'

export interface DevConfigServerOptions {
  /** The directory of YAML, .properties and JSON config files (label subdirectories below it). */
  readonly dir: string
  /** Port on `host`; 0 picks a free one. Default 8888. */
  readonly port?: number
  /** Address to bind. Default 127.0.0.1. */
  readonly host?: string
  /** OAuth2 clients, id to secret. With at least one, config routes need a bearer token. */
  readonly clients?: Readonly<Record<string, string>>
  /** Lifetime of issued tokens, in seconds. Default 300. */
  readonly tokenTtlSeconds?: number
  /** JSON-line logger. Default: JSON lines on stdout at level info. */
  readonly logger?: Logger
}

export interface DevConfigServer {
  /** Checks the directory, starts the watcher and listens. */
  start(): Promise<{ url: string; port: number }>
  /** Stops listening and watching; open requests get a second to finish. Idempotent. */
  stop(): Promise<void>
}

export const DEFAULT_PORT = 8888
export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_TOKEN_TTL_SECONDS = 300

const READ_METHODS = new Set(['GET', 'HEAD'])
const REALM = 'dev-config-server'
const CLOSE_GRACE_MS = 1000

/** A small Spring-Cloud-Config-compatible upstream for local runs, the workshop and tests. */
export function createDevConfigServer(options: DevConfigServerOptions): DevConfigServer {
  const dir = resolve(options.dir)
  const port = options.port ?? DEFAULT_PORT
  const host = options.host ?? DEFAULT_HOST
  const ttlSeconds = options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS
  const clients = options.clients ?? {}
  const logger = options.logger ?? createLogger()
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError('port must be an integer from 0 to 65535')
  }
  if (!(Number.isFinite(ttlSeconds) && ttlSeconds > 0)) {
    throw new RangeError('tokenTtlSeconds must be a positive number')
  }
  for (const [id, secret] of Object.entries(clients)) {
    if (id === '' || secret === '') throw new RangeError('client ids and secrets must not be empty')
  }

  const tokens = createTokenIssuer({ clients, ttlSeconds })
  const files = createFileCache()
  const app = createApp({ dir, tokens, files, logger })
  let server: Server | undefined
  let stopWatching: (() => Promise<void>) | undefined

  return {
    async start() {
      if (server !== undefined) throw new Error('the dev config server is already started')
      const isDirectory = await stat(dir).then(
        (stats) => stats.isDirectory(),
        () => false,
      )
      if (!isDirectory) throw new Error(`the config directory ${dir} does not exist`)

      const unwatch = await watchDirectory(
        dir,
        (paths) => {
          files.clear()
          logger.info('config files changed', { paths: paths.slice(0, 20).join(', ') })
        },
        (error) => logger.warn('watcher error', { reason: (error as Error).message }),
      )
      const listening = createServer(app)
      try {
        await new Promise<void>((resolveListen, rejectListen) => {
          listening.once('error', rejectListen)
          listening.listen(port, host, () => {
            listening.off('error', rejectListen)
            resolveListen()
          })
        })
      } catch (error) {
        await unwatch()
        throw error
      }
      server = listening
      stopWatching = unwatch
      const actualPort = (listening.address() as AddressInfo).port
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`
      logger.info('listening', {
        url,
        port: actualPort,
        dir,
        auth: tokens.required ? 'bearer' : 'none',
        clients: Object.keys(clients).join(', '),
        tokenTtlSeconds: ttlSeconds,
      })
      return { url, port: actualPort }
    },

    async stop() {
      const running = server
      const unwatch = stopWatching
      server = undefined
      stopWatching = undefined
      await unwatch?.()
      if (running === undefined) return
      await new Promise<void>((resolveClose) => {
        const force = setTimeout(() => running.closeAllConnections(), CLOSE_GRACE_MS)
        running.close(() => {
          clearTimeout(force)
          resolveClose()
        })
        running.closeIdleConnections()
      })
      logger.info('stopped')
    },
  }
}

interface AppDeps {
  readonly dir: string
  readonly tokens: TokenIssuer
  readonly files: ReturnType<typeof createFileCache>
  readonly logger: Logger
}

function createApp({ dir, tokens, files, logger }: AppDeps): express.Express {
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')

  const requestLog = createRequestLog(logger)
  app.use(requestLog.middleware)

  app.all('/actuator/health', (req: Request, res: Response) => {
    if (!READ_METHODS.has(req.method)) {
      methodNotAllowed(res, 'GET, HEAD')
      return
    }
    sendJson(res, 200, { status: 'UP' })
  })

  app.post(
    '/oauth/token',
    express.urlencoded({ extended: false, limit: '16kb' }),
    (req: Request, res: Response) => {
      res.set({ 'cache-control': 'no-store', pragma: 'no-cache' })
      const credentials = parseBasicAuthorization(req.headers.authorization)
      const clientId = tokens.authenticate(credentials)
      if (clientId === undefined) {
        logger.warn('token refused', {
          reason: !tokens.required
            ? 'no clients are configured'
            : credentials === undefined
              ? 'no client_secret_basic credentials'
              : 'unknown client or wrong secret',
        })
        sendJson(
          res,
          401,
          { error: 'invalid_client' },
          {
            'www-authenticate': `Basic realm="${REALM}"`,
          },
        )
        return
      }
      const body = req.body as Record<string, unknown> | undefined
      const grantType = body?.['grant_type']
      if (typeof grantType !== 'string' || grantType === '') {
        sendJson(res, 400, { error: 'invalid_request' })
        return
      }
      if (grantType !== 'client_credentials') {
        logger.warn('token refused', { clientId, reason: 'unsupported grant type' })
        sendJson(res, 400, { error: 'unsupported_grant_type' })
        return
      }
      const issued = tokens.issue(clientId)
      logger.info('token issued', { clientId, expiresIn: issued.expiresIn })
      sendJson(res, 200, {
        access_token: issued.accessToken,
        token_type: 'bearer',
        expires_in: issued.expiresIn,
      })
    },
  )
  app.all('/oauth/token', (_req: Request, res: Response) => methodNotAllowed(res, 'POST'))

  app.all('/:application/:profile{/:label}', async (req: Request, res: Response) => {
    if (!READ_METHODS.has(req.method)) {
      methodNotAllowed(res, 'GET, HEAD')
      return
    }
    if (tokens.required) {
      const check = tokens.check(req.headers.authorization)
      if (check !== 'valid') {
        const invalid = check !== 'missing'
        sendJson(
          res,
          401,
          {
            error: invalid ? 'invalid_token' : 'unauthorized',
            message: invalid
              ? 'the bearer token is unknown or has expired: get a new one from POST /oauth/token'
              : 'send Authorization: Bearer <token>, from POST /oauth/token',
          },
          {
            'www-authenticate': invalid
              ? `Bearer realm="${REALM}", error="invalid_token"`
              : `Bearer realm="${REALM}"`,
          },
        )
        return
      }
    }
    const params = req.params as Record<string, string | undefined>
    const request = parseEnvironmentRequest(
      params['application'] ?? '',
      params['profile'] ?? '',
      params['label'],
    )
    const environment = await buildEnvironment(dir, request, files)
    const etag = `"${environment.version}"`
    const headers = { etag, 'cache-control': 'no-cache' }
    const notModified = ifNoneMatchHits(req.headers['if-none-match'], etag)
    const key = [request.applications.join(','), request.profiles.join(','), request.label ?? '']
    requestLog.note(res, key.join('/'), environment.version, notModified)
    if (notModified) {
      res.status(304).set(headers).end()
      return
    }
    sendJson(res, 200, environment, headers)
  })

  app.use((_req: Request, res: Response) => {
    sendJson(res, 404, {
      error: 'not_found',
      message:
        'no such route: GET /{application}/{profile}[/{label}], POST /oauth/token, GET /actuator/health',
    })
  })

  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error)
      return
    }
    if (isDevConfigError(error)) {
      if (error.status >= 500) {
        logger.error('cannot serve config', { code: error.code, reason: error.message })
      }
      sendJson(res, error.status, { error: error.code, message: error.message })
      return
    }
    const status = (error as { status?: unknown }).status
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendJson(res, status, { error: 'invalid_request', message: 'the request cannot be read' })
      return
    }
    logger.error('request failed', { reason: (error as Error).message })
    sendJson(res, 500, { error: 'internal_error', message: 'internal error (see the log)' })
  })

  return app
}

function sendJson(
  res: Response,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  res
    .status(status)
    .set({ ...headers, 'content-type': 'application/json; charset=utf-8' })
    .send(JSON.stringify(body))
}

function methodNotAllowed(res: Response, allow: string): void {
  sendJson(res, 405, { error: 'method_not_allowed', message: `use ${allow}` }, { allow })
}
