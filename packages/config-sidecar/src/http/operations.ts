import { SIDECAR_PATHS } from '@sample/shared'
import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import { isSidecarError } from '../support/errors.js'
import type { RouteName } from './metrics.js'
import { createRateLimiter } from './rate-limit.js'
import { send, sendError, sendInternalError, sendJson } from './respond.js'
import { READ_METHODS, allowed, authorized } from './access.js'
import type { SidecarHttpDeps } from './access.js'
import type { ConfigFilesStatus } from '../files/config-files.js'
import { changedKeys, limitChanges } from '../state/changes.js'
import type { ChangeRecord } from '../state/change-log.js'

/**
 * `/status`, `/metrics`, `/refresh` and the 404 answer: an express app behind the listener's guards,
 * loaded with the first such request (a sidecar that only serves config never loads express).
 */
export function createOperationsApp(deps: SidecarHttpDeps): express.Express {
  const { metrics, logger } = deps
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')

  const guarded =
    (
      route: RouteName,
      methods: ReadonlySet<string>,
      handler: (req: Request, res: Response) => void | Promise<void>,
    ) =>
    async (req: Request, res: Response): Promise<void> => {
      if (
        !authorized(deps, req, res, route) ||
        !allowed(req, res, metrics, route, methods, [...methods].join(', '), deps.refusals)
      )
        return
      await handler(req, res)
    }

  app.all(
    SIDECAR_PATHS.status,
    guarded('status', READ_METHODS, (_req, res) =>
      sendJson(res, metrics, 'status', 200, statusOf(deps)),
    ),
  )

  app.all(
    SIDECAR_PATHS.metrics,
    guarded('metrics', READ_METHODS, async (_req, res) => {
      const { contentType, text } = await metrics.render()
      send(
        res,
        metrics,
        'metrics',
        200,
        { 'content-type': contentType, 'cache-control': 'no-store' },
        text,
      )
    }),
  )

  const refreshLimit = createRateLimiter({ burst: 3, refillMs: 5000 })
  app.all(
    SIDECAR_PATHS.refresh,
    guarded('refresh', new Set(['POST']), async (_req, res) => {
      const waitMs = refreshLimit()
      if (waitMs > 0) {
        sendError(
          res,
          metrics,
          'refresh',
          'ERR_RATE_LIMITED',
          'refresh is rate limited: 3 at once, then one every 5 s',
          {
            'retry-after': Math.ceil(waitMs / 1000),
          },
        )
        return
      }
      const outcome = await deps.refresher.refresh('manual')
      const body = {
        outcome: outcome.outcome,
        version: outcome.version ?? null,
        durationMs: outcome.durationMs,
        // As Spring's /actuator/refresh answers: the keys that changed (paths, never values).
        ...(outcome.changes === undefined ? {} : { keys: changedKeys(outcome.changes) }),
      }
      if (outcome.error === undefined) {
        sendJson(res, metrics, 'refresh', 200, body)
      } else {
        sendJson(res, metrics, 'refresh', 502, {
          ...body,
          error: { code: outcome.error.code, message: outcome.error.message },
        })
      }
    }),
  )

  app.use((_req: Request, res: Response) => {
    sendError(
      res,
      metrics,
      'other',
      'ERR_NOT_FOUND',
      'no such route: see /config/, /changes, /livez, /readyz, /status, /metrics, /refresh',
    )
  })

  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error)
      return
    }
    const status = (error as { status?: unknown }).status
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendError(res, metrics, 'other', 'ERR_BAD_REQUEST', 'the request cannot be read')
      return
    }
    logger.error('request failed', {
      code: isSidecarError(error) ? error.code : 'ERR_INTERNAL',
      reason: (error as Error).message,
    })
    sendInternalError(res, metrics)
  })

  return app
}

function statusOf(deps: SidecarHttpDeps): object {
  const { store, refresher } = deps
  const status = store.status()
  const iso = (ms: number | undefined): string | null =>
    ms === undefined ? null : new Date(ms).toISOString()
  const age = store.ageMs()
  return {
    source: deps.sourceDisplay,
    ready: status.config !== undefined && !store.tooStale(),
    version: status.config?.version ?? null,
    etag: status.config?.full.etag ?? null,
    stale: status.stale,
    tooStale: store.tooStale(),
    fromSnapshot: status.fromSnapshot,
    ageSeconds: age === undefined ? null : Math.floor(age / 1000),
    secrets: status.config?.secretCount ?? 0,
    // The shipped demo key is public: anything encrypted to it is readable by anyone.
    demoKey: (deps.demoKeyIds ?? []).length > 0,
    demoKeyIds: deps.demoKeyIds ?? [],
    lastSuccessAt: iso(status.lastSuccessAt),
    lastChangeAt: iso(status.lastChangeAt),
    lastError:
      status.lastFailure === undefined
        ? null
        : {
            code: status.lastFailure.code,
            message: status.lastFailure.message,
            at: iso(status.lastFailure.at),
          },
    nextRefreshAt: iso(refresher.nextRefreshAt()),
    startedAt: iso(deps.startedAt),
    waiting: deps.configRoute.counts(),
    lastChange: lastChangeOf(status.lastChange, iso),
    ...configFilesStatus(deps.metrics.configFiles(), iso),
  }
}

/** The last change: when, both versions, and the paths it named (at most 100, and how many more). */
function lastChangeOf(
  change: ChangeRecord | undefined,
  iso: (ms: number | undefined) => string | null,
): object | null {
  if (change === undefined) return null
  return {
    at: iso(change.at),
    fromVersion: change.fromVersion,
    toVersion: change.toVersion,
    ...limitChanges(change),
  }
}

/** `files` (CONFIG_WRITE_FILE) and `onChange` (CONFIG_ON_CHANGE): paths, versions, outcomes, no content. */
function configFilesStatus(
  status: ConfigFilesStatus | undefined,
  iso: (ms: number | undefined) => string | null,
): object {
  const onChange = status?.onChange
  return {
    files: (status?.files ?? []).map((file) => ({
      path: file.path,
      format: file.format,
      version: file.version,
      writtenAt: iso(file.writtenAt),
      lastError:
        file.lastError === undefined
          ? null
          : {
              outcome: file.lastError.outcome,
              message: file.lastError.reason,
              at: iso(file.lastError.at),
            },
    })),
    onChange:
      onChange === undefined
        ? null
        : {
            running: onChange.running,
            queued: onChange.queued,
            runs: onChange.runs,
            last:
              onChange.last === undefined
                ? null
                : {
                    version: onChange.last.version,
                    outcome: onChange.last.outcome,
                    exitCode: onChange.last.exitCode,
                    signal: onChange.last.signal,
                    startedAt: iso(onChange.last.startedAt),
                    durationMs: onChange.last.durationMs,
                  },
          },
  }
}
