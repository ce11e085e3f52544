// Helpers for the dev config server's tests: a real server on port 0 with its log captured.
import { mkdir, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { dirname, join } from 'node:path'
import { createDevConfigServer, createLogger } from '../src/server.js'
import type { DevConfigServerOptions } from '../src/server.js'

export interface TestServer {
  readonly url: string
  readonly port: number
  /** Every log line so far, joined. */
  readonly log: () => string
  get(path: string, headers?: Record<string, string>): Promise<Response>
  stop(): Promise<void>
}

export async function startServer(
  options: Omit<DevConfigServerOptions, 'logger' | 'port'>,
): Promise<TestServer> {
  const lines: string[] = []
  const server = createDevConfigServer({
    ...options,
    port: 0,
    logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
  })
  const { url, port } = await server.start()
  return {
    url,
    port,
    log: () => lines.join(''),
    get: (path, headers = {}) => fetch(`${url}${path}`, { headers }),
    stop: () => server.stop(),
  }
}

/** Writes files below `root`, creating directories as needed. */
export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const path = join(root, name)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, content)
  }
}

/** `Authorization: Basic` for client_secret_basic (RFC 6749 §2.3.1: form-encode, join, base64). */
export function basic(id: string, secret: string): string {
  const encode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2)
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`
}

export function tokenRequest(
  url: string,
  authorization: string | undefined,
  body = 'grant_type=client_credentials',
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (authorization !== undefined) headers['authorization'] = authorization
  return fetch(`${url}/oauth/token`, { method: 'POST', headers, body })
}

/** A GET with the path sent exactly as written (fetch would resolve `..` segments first). */
export function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/`, { path }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** The environment body's sources as [name, source] pairs, highest precedence first. */
export function sourcesOf(environment: {
  propertySources: { name: string; source: Record<string, unknown> }[]
}): [string, Record<string, unknown>][] {
  return environment.propertySources.map((source) => [source.name, source.source])
}
