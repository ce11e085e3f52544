// The app's only HTTP client for the sidecar beside it, on 127.0.0.1:$CONFIG_SERVER_PORT.
// Holds: GET with the token (read again after a 401), and opening an event stream.
// May import: got (here only), node built-ins, @sample/shared. Never express.
import { Agent } from 'node:http'
import { readFile } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import got from 'got'
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

/** Every call to the sidecar must answer within this time: the app answers its own callers within 2 s. */
export const SIDECAR_TIMEOUT_MS = 1500

/**
 * The app's only HTTP client for the sidecar (got, with keep-alive). The token is read from its file
 * once and again after a 401, so the app follows sidecar restarts with no manual step.
 */
export function createSidecarClient(
  baseUrl: string,
  tokenRef: ValueRef | undefined,
): SidecarClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const client = got.extend({
    prefixUrl: baseUrl,
    agent: { http: agent },
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: false,
  })
  let token: string | undefined
  let tokenRead = false

  const readToken = async (): Promise<void> => {
    tokenRead = true
    if (tokenRef === undefined) token = undefined
    else if (tokenRef.kind === 'inline') token = tokenRef.value
    else token = (await readFile(tokenRef.path, 'utf8').catch(() => '')).trim() || undefined
  }
  const authHeaders = async (): Promise<Record<string, string>> => {
    if (!tokenRead) await readToken()
    return token === undefined ? {} : { authorization: bearer(token) }
  }
  const request = async (path: string, headers: Record<string, string>): Promise<SidecarAnswer> => {
    const response = await client.get(path.replace(/^\//, ''), {
      headers: { ...headers, ...(await authHeaders()) },
      responseType: 'buffer',
      timeout: { request: SIDECAR_TIMEOUT_MS },
    })
    return { status: response.statusCode, headers: response.headers, body: response.body }
  }

  const stream = async (path: string): Promise<Readable> => {
    const source = client.stream(path.replace(/^\//, ''), {
      headers: { accept: 'text/event-stream', ...(await authHeaders()) },
      timeout: { response: SIDECAR_TIMEOUT_MS },
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
