// Log lines in tests: a logger that keeps what it writes (`recordingLogger`), JSON log lines
// parsed (`parsed`), so that tests assert fields rather than text, and what a call run in the
// test's process writes to stdout and stderr (`captureOutput`).
import { vi } from 'vitest'
import { createLogger } from '../packages/shared/src/index.js'
import type { Logger, LogLevel } from '../packages/shared/src/index.js'

/** A logger (debug and up unless `level` says otherwise) whose JSON lines are kept. */
export function recordingLogger(options: { level?: LogLevel } = {}): {
  logger: Logger
  /** Every line so far, parsed; the same array grows as lines are written. */
  lines: Record<string, unknown>[]
  /** Every line so far, as written. */
  text: () => string
} {
  const raw: string[] = []
  const lines: Record<string, unknown>[] = []
  const logger = createLogger({
    level: options.level ?? 'debug',
    write: (line) => {
      raw.push(line)
      lines.push(JSON.parse(line) as Record<string, unknown>)
    },
  })
  return { logger, lines, text: () => raw.join('\n') }
}

/** Log lines as objects. */
export function parsed(logs: readonly string[]): Record<string, unknown>[] {
  return logs.map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** Runs `call` with what it writes to process.stdout and process.stderr kept instead of printed. */
export async function captureOutput<T>(
  call: () => Promise<T>,
): Promise<{ value: T; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += chunk.toString()
      return true
    }),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += chunk.toString()
      return true
    }),
  ]
  try {
    const value = await call()
    return { value, stdout, stderr }
  } finally {
    for (const spy of spies) spy.mockRestore()
  }
}
