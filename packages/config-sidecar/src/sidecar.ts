import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { dirname } from 'node:path'
import { closeRefusedConnectionsInStages } from './http/client-errors.js'
import { createConfigRoute } from './http/config-route.js'
import { createBearerCheck, createRefusalLog } from './http/guards.js'
import { createHealthListener, createRequestListener } from './http/server.js'
import { resolveLocalToken } from './http/local-token.js'
import { createLogger } from './support/logger.js'
import { ensurePrivateDir } from './support/private-dir.js'
import type { Logger } from './support/logger.js'
import { createMetrics } from './http/metrics.js'
import { createRefresher } from './refresh/refresher.js'
import type { RefreshOutcome, Refresher } from './refresh/refresher.js'
import type { Settings } from './settings/settings.js'
import { warnOfDemoKey } from './document/demo-key.js'
import { loadKeySet } from './document/keys.js'
import { createSource } from './sources/create-source.js'
import { VERSION } from './support/version.js'
import { createSnapshotStore } from './state/snapshot.js'
import type { HttpTimeouts } from './sources/http-source.js'
import { createConfigStore } from './state/store.js'
import { createConfigFiles } from './files/config-files.js'
import type { ConfigStore } from './state/store.js'

export interface SidecarOptions {
  readonly logger?: Logger
  /** Most open connections before new requests get 429. */
  readonly maxConnections?: number
  /** Upstream time limits (tests shorten them). */
  readonly httpTimeouts?: HttpTimeouts
  /** Bind address of the data listener; always loopback outside tests. */
  readonly host?: string
}

export interface StartedSidecar {
  /** Base URL of the data listener, e.g. http://127.0.0.1:8082 */
  readonly url: string
  readonly port: number
  readonly healthPort: number | undefined
  /** The token local callers must send (undefined when tokens are off). */
  readonly token: string | undefined
  /** Settles when the first refresh is done (whatever its outcome). */
  readonly firstRefresh: Promise<RefreshOutcome>
}

export interface Sidecar {
  readonly store: ConfigStore
  readonly refresher: Refresher
  start(): Promise<StartedSidecar>
  /** Stops accepting, answers open long polls and streams, stops refreshing. */
  stop(): Promise<void>
}

/** Most open connections: enough for 1,000 streams and long polls with room for ordinary reads. */
export const DEFAULT_MAX_CONNECTIONS = 2048
export { VERSION } from './support/version.js'

/**
 * Builds a sidecar from settings: the composition root. Nothing listens and nothing is fetched
 * until `start()`. Throws ERR_SECRET_NO_KEYS when the keys in CONFIG_KEYS cannot be used.
 */
export async function createSidecar(
  settings: Settings,
  options: SidecarOptions = {},
): Promise<Sidecar> {
  const logger = options.logger ?? createLogger({ level: settings.logLevel })
  const { decryptor, demoKeyIds } = await loadKeySet(settings.keys)
  const source = createSource(settings, options)
  const store = createConfigStore({ maxStalenessMs: settings.maxStalenessMs })
  // Config as files: every new config (the snapshot's at a restart included) is written to the
  // files of CONFIG_WRITE_FILE, then CONFIG_ON_CHANGE runs; neither holds up serving.
  const configFiles =
    settings.writeFiles.length === 0 && settings.onChange === undefined
      ? undefined
      : createConfigFiles({ files: settings.writeFiles, onChange: settings.onChange, logger })
  if (configFiles !== undefined) store.subscribe((config) => void configFiles.update(config))
  const metrics = createMetrics(store, configFiles)
  const refresher = createRefresher({
    source,
    store,
    decryptor,
    snapshots: createSnapshotStore(settings.cacheDir, source.display),
    intervalMs: settings.pollIntervalMs,
    logger,
    onOutcome: (outcome) => metrics.recordRefresh(outcome),
  })
  const configRoute = createConfigRoute({
    store,
    metrics,
    retryAfterSeconds: Math.max(1, Math.min(30, Math.ceil(settings.pollIntervalMs / 1000))),
  })
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS
  const servers: Server[] = []
  const sockets = new Set<Socket>()
  // Refused local callers: one log line per kind, then at most one a minute with the count.
  const refusals = createRefusalLog(logger)

  return {
    store,
    refresher,
    async start() {
      // The default cache directory is the user's alone, like the token's: a directory another
      // user made first could hold a planted snapshot.
      if (settings.cacheDirIsDefault) {
        await ensurePrivateDir(dirname(settings.cacheDir), 'the private directory')
        await ensurePrivateDir(settings.cacheDir, 'the cache directory (CONFIG_CACHE_DIR)')
      }
      // A snapshot from an earlier run is served from the first request on, and is in the files
      // before the listener opens: an app started once the sidecar is ready finds them.
      await refresher.restore()
      await configFiles?.written()
      const local = await resolveLocalToken(settings.localAuth)
      const { token } = local
      const listener = createRequestListener({
        store,
        refresher,
        metrics,
        configRoute,
        logger,
        checkToken: token === undefined ? undefined : createBearerCheck(token),
        sourceDisplay: source.display,
        startedAt: Date.now(),
        overConnectionLimit: () => sockets.size > maxConnections,
        refusals,
        demoKeyIds,
      })
      const server = configure(
        createServer({ ...SERVER_OPTIONS, maxHeaderSize: 16 * 1024 }, listener),
      )
      server.on('connection', (socket: Socket) => {
        sockets.add(socket)
        socket.once('close', () => sockets.delete(socket))
      })
      servers.push(server)
      const port = await listen(server, settings.port, options.host ?? '127.0.0.1')
      // Only once bound: a second sidecar that fails to bind leaves the running pair's token alone.
      await local.publish()

      let healthPort: number | undefined
      if (settings.healthPort !== undefined) {
        const health = configure(createServer(SERVER_OPTIONS, createHealthListener(store, metrics)))
        servers.push(health)
        healthPort = await listen(health, settings.healthPort, undefined)
      }
      logger.info('config sidecar listening', {
        version: VERSION,
        url: `http://127.0.0.1:${port}`,
        healthPort: healthPort ?? null,
        source: source.display,
        keys: decryptor?.keyIds.join(',') ?? null,
        localAuth:
          settings.localAuth.kind === 'file' || settings.localAuth.kind === 'generated'
            ? `token file ${settings.localAuth.path}`
            : settings.localAuth.kind,
      })
      // The shipped demo key is public: say so once, at start, with the way out.
      warnOfDemoKey(logger, demoKeyIds)
      const firstRefresh = refresher.start()
      return { url: `http://127.0.0.1:${port}`, port, healthPort, token, firstRefresh }
    },
    async stop() {
      const closed = Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      )
      configRoute.closeAll()
      for (const server of servers) server.closeIdleConnections()
      await refresher.stop()
      await configFiles?.stop()
      const forced = setTimeout(() => {
        for (const server of servers) server.closeAllConnections()
      }, 2000)
      await closed
      clearTimeout(forced)
      refusals.close()
    },
  }
}

// Slow or idle clients must not hold connections: headers within 10 s, the request within 15 s.
// Node checks those limits every `connectionsCheckingInterval` (30 s by default, which let a slow
// client hold its connection for up to 40 s); checking every second keeps them near their value.
const SERVER_OPTIONS = { connectionsCheckingInterval: 1000 } as const

function configure(server: Server): Server {
  server.headersTimeout = 10_000
  server.requestTimeout = 15_000
  server.keepAliveTimeout = 5_000
  closeRefusedConnectionsInStages(server)
  return server
}

function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}
