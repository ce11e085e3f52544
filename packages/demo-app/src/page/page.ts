// The demo page's routes: GET / (rendered on the server, ./render.ts) and GET /events (the live
// relay, ./relay.ts), with the page's headers and the 503 beyond the relay's client cap.
// Holds: createPage, PAGE_DEFAULTS. May import: express, ./relay.js, ./render.js, ./browser.js,
//   types from ../sidecar-client.js and ../sidecar-state.js, @sample/shared. Never got.
import express from 'express'
import type { Request, Response } from 'express'
import { errorBody } from '@sample/shared'
import type { Logger } from '@sample/shared'
import type { SidecarClient } from '../sidecar-client.js'
import type { SidecarState } from '../sidecar-state.js'
import { PAGE_CSP } from './browser.js'
import { createRelay } from './relay.js'
import type { RelayOptions } from './relay.js'
import { renderPage } from './render.js'

export type PageOptions = Partial<RelayOptions>

/**
 * 50 open pages, each at most 256 KiB behind (plus the event being sent): a few tens of MiB at
 * worst, for a workshop page. Raise them with care: memory is maxClients × maxBufferedBytes.
 */
export const PAGE_DEFAULTS: RelayOptions = {
  maxClients: 50,
  maxBufferedBytes: 256 * 1024,
  statusEveryMs: 2000,
}

/** Seconds a browser turned away at the cap should wait. */
const RETRY_AFTER_SECONDS = 10

export interface Page {
  readonly router: express.Router
  /** Ends every open stream (SIGTERM). */
  close(): void
}

export function createPage(
  deps: { sidecar: SidecarClient; state: SidecarState; logger: Logger } & PageOptions,
): Page {
  const { sidecar, state, logger, ...options } = deps
  const relay = createRelay({ sidecar, state, logger, options: { ...PAGE_DEFAULTS, ...options } })
  const router = express.Router()

  router.get('/', async (_req: Request, res: Response) => {
    const view = await relay.view()
    res
      .set({
        'content-security-policy': PAGE_CSP,
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      })
      .type('text/html; charset=utf-8')
      .send(renderPage(view, new Date()))
  })

  router.get('/events', (_req: Request, res: Response) => {
    if (relay.add(res)) return
    res
      .status(503)
      .set({ 'retry-after': String(RETRY_AFTER_SECONDS), 'cache-control': 'no-store' })
      .type('application/json; charset=utf-8')
      .send(errorBody('ERR_TOO_MANY_CONNECTIONS', 'too many pages follow the config: try later'))
  })

  return { router, close: () => relay.close() }
}
