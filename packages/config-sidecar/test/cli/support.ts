// Runs the built CLI (`node packages/config-sidecar/dist/main.js`, build first: `npx tsc -b`) as a
// user does: a child process with a clean environment, stdin a pipe.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

/** The development build of the sidecar's entry point. */
export const MAIN = join(import.meta.dirname, '..', '..', 'dist', 'main.js')

/** What a run of the CLI gave back. */
export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** A JWK Set as the CLI writes it. */
export interface Jwks {
  keys: Record<string, string>[]
}

/** Throws, naming the build step, when the built CLI is missing. */
export function requireBuild(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -b)`)
}

/**
 * Runs `node <script> ...args` (the development build unless `script` says otherwise) with `input`
 * on stdin (a pipe, closed at once without input), in `cwd`.
 */
export function cli(
  args: readonly string[],
  options: {
    input?: string | undefined
    cwd?: string | undefined
    script?: string | undefined
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.script ?? MAIN, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env['PATH'] },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}
