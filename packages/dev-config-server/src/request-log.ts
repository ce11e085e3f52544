// The one `request` log line per request, at a level that keeps polls quiet: a config answer that
// changed nothing is debug, news is info, an error is warn.
import type { NextFunction, Request, Response } from 'express'
import type { LogLevel, Logger } from './logger.js'

/** Most environments whose last served version is remembered (oldest forgotten first). */
const MAX_REMEMBERED = 1000

/** What the config route says about its answer, for the log line. */
export type AnswerNews = 'unchanged' | 'news'

export interface RequestLog {
  /** Express middleware writing the line once the answer is sent. */
  readonly middleware: (req: Request, res: Response, next: NextFunction) => void
  /**
   * Called by the config route before it answers `environment` (a key naming the applications,
   * profiles and label) with `version`: tells whether the answer is news. A 304, or the version
   * last served for that environment to a request without `If-None-Match`, is not.
   */
  note(res: Response, environment: string, version: string, notModified: boolean): void
}

export function createRequestLog(logger: Logger): RequestLog {
  const lastServed = new Map<string, string>()

  const remember = (environment: string, version: string): void => {
    lastServed.delete(environment)
    lastServed.set(environment, version)
    if (lastServed.size > MAX_REMEMBERED) {
      lastServed.delete(lastServed.keys().next().value as string)
    }
  }

  return {
    middleware(req, res, next) {
      const started = performance.now()
      res.on('finish', () => {
        const version = res.getHeader('etag')
        const news = res.locals['answerNews'] as AnswerNews | undefined
        const level: LogLevel =
          res.statusCode >= 400 ? 'warn' : news === 'unchanged' ? 'debug' : 'info'
        // Method, path (never the query or a header), status, duration, short version.
        logger[level]('request', {
          method: req.method,
          path: req.path.slice(0, 300),
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
          version: typeof version === 'string' ? version.slice(1, 13) : undefined,
        })
      })
      next()
    },
    note(res, environment, version, notModified) {
      const unchanged =
        notModified ||
        (res.req.headers['if-none-match'] === undefined && lastServed.get(environment) === version)
      remember(environment, version)
      res.locals['answerNews'] = (unchanged ? 'unchanged' : 'news') satisfies AnswerNews
    },
  }
}
