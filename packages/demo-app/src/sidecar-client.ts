// The app's only HTTP client for the sidecar beside it, on 127.0.0.1:$CONFIG_SERVER_PORT.
// Holds: GET with the token (read again after a 401), and opening an event stream.
// May import: got (here only), node built-ins, @sample/shared. Never express.
import { Agent } from 'node:http'
import { readFile } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import got from 'got'
import type { Got } from 'got'
import type { ValueRef } from '@sample/shared'
import { bearer } from '@sample/shared'

/** What the sidecar answered. */
export interface SidecarAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly body: Buffer
}

export interface SidecarClient {
  /** GET a path on the sidecar (e.g. `/config/`), with the token; rejects on network failure or timeout. */
  get(path: string, headers?: Record<string, string>): Promise<SidecarAnswer>
  /**
   * Opens a Server-Sent Events stream (e.g. `/config/?redact`). Resolves once the sidecar answered
   * 200 with `text/event-stream`; rejects on any other answer (a sidecar without streams, like the
   * original Go sample's, answers plain JSON) or when it does not answer in time.
   */
  openStream(path: string): Promise<Readable>
  readonly baseUrl: string
}

export interface SidecarClientOptions {
  /** How long a GET may take before it fails with ETIMEDOUT (default {@link SIDECAR_TIMEOUT_MS}). */
  readonly timeoutMs?: number
}

/** Every call to the sidecar must answer within this time: the app answers its own callers within 2 s. */
export const SIDECAR_TIMEOUT_MS = 1500
/** Most connections to the sidecar at once; more calls wait for one in the agent. */
export const MAX_SOCKETS = 64
/**
 * An idle connection is closed after this long. The sidecar closes its idle connections after 5 s
 * (and says so in `Keep-Alive: timeout=5`, which Node's agent heeds only when it has a timeout of
 * its own): a request sent on a connection the sidecar is closing fails with ECONNRESET.
 */
export const IDLE_SOCKET_MS = 4000

/** Network errors of a connection that the sidecar closed under a request (a kept-alive one). */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE'])

/**
 * The app's only HTTP client for the sidecar (got, one instance and one keep-alive agent for every
 * call). The token is read from its file once and again after a 401, so the app follows sidecar
 * restarts with no manual step.
 *
 * Per call the client asks got for as little as it can: the token, the response type and the
 * agent are the instance's defaults (got merges and checks every option of every call, which is
 * most of what a call costs), and the deadline is the client's own timer rather than got's
 * `timeout` option. That timer is also what keeps a healthy sidecar from being reported down when
 * this process is busy: Node runs due timers before it reads the sockets, so a timer that fires
 * late in a busy event loop would see no answer although the answer is already waiting in the
 * socket. The deadline therefore looks once more after the sockets are read (setImmediate) before
 * it gives up.
 */
export function createSidecarClient(
  baseUrl: string,
  tokenRef: ValueRef | undefined,
  options: SidecarClientOptions = {},
): SidecarClient {
  const timeoutMs = options.timeoutMs ?? SIDECAR_TIMEOUT_MS
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, timeout: IDLE_SOCKET_MS })
  const base = got.extend({
    prefixUrl: baseUrl,
    agent: { http: agent },
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: false,
    responseType: 'buffer',
  })
  /** `base` with the current token; made again only when the token changes. */
  let client: Got = base
  let tokenRead = false

  const readToken = async (): Promise<void> => {
    tokenRead = true
    let token: string | undefined
    if (tokenRef === undefined) token = undefined
    else if (tokenRef.kind === 'inline') token = tokenRef.value
    else token = (await readFile(tokenRef.path, 'utf8').catch(() => '')).trim() || undefined
    client = token === undefined ? base : base.extend({ headers: { authorization: bearer(token) } })
  }

  const once = async (
    path: string,
    headers: Record<string, string> | undefined,
  ): Promise<SidecarAnswer> => {
    if (!tokenRead) await readToken()
    const call = client.get(path, headers === undefined ? undefined : { headers })
    let settled = false
    let timedOut = false
    const timer = setTimeout(() => {
      // An answer read in this turn of the event loop settles the call before this runs.
      setImmediate(() => {
        if (settled) return
        timedOut = true
        call.cancel()
      })
    }, timeoutMs)
    try {
      const response = await call
      // `responseType: 'buffer'`: the body is the bytes as read (`rawBody`), not decoded.
      return { status: response.statusCode, headers: response.headers, body: response.rawBody }
    } catch (error) {
      if (timedOut)
        throw Object.assign(new Error(`the sidecar did not answer within ${timeoutMs} ms`), {
          code: 'ETIMEDOUT',
        })
      throw error
    } finally {
      settled = true
      clearTimeout(timer)
    }
  }

  const request = async (path: string, headers: Record<string, string>): Promise<SidecarAnswer> => {
    const relative = path.replace(/^\//, '')
    const extra = Object.keys(headers).length === 0 ? undefined : headers
    try {
      return await once(relative, extra)
    } catch (error) {
      // The sidecar closed a kept-alive connection as the request went out on it: a GET is safe
      // to send once more, on a new connection. A sidecar that is down refuses the connection
      // (ECONNREFUSED) and is not asked again.
      if (!RESET_CODES.has(String((error as { code?: unknown }).code))) throw error
      return once(relative, extra)
    }
  }

  const stream = async (path: string): Promise<Readable> => {
    if (!tokenRead) await readToken()
    const source = client.stream(path.replace(/^\//, ''), {
      headers: { accept: 'text/event-stream' },
      timeout: { response: timeoutMs },
    })
    return new Promise((resolve, reject) => {
      source.once(
        'response',
        (response: { statusCode: number; headers: Record<string, unknown> }) => {
          const type = response.headers['content-type']
          if (
            response.statusCode === 200 &&
            typeof type === 'string' &&
            type.startsWith('text/event-stream')
          )
            resolve(source)
          else {
            source.destroy()
            reject(
              Object.assign(new Error(`the sidecar answered HTTP ${response.statusCode}`), {
                status: response.statusCode,
              }),
            )
          }
        },
      )
      source.once('error', reject)
    })
  }

  return {
    baseUrl,
    async get(path, headers = {}) {
      const answer = await request(path, headers)
      if (answer.status !== 401 || tokenRef?.kind !== 'file') return answer
      await readToken()
      return request(path, headers)
    },
    async openStream(path) {
      try {
        return await stream(path)
      } catch (error) {
        if ((error as { status?: unknown }).status !== 401 || tokenRef?.kind !== 'file') throw error
        await readToken()
        return stream(path)
      }
    },
  }
}
