// Bad settings, the same way in every process: one error type carrying every problem, one log line
// per problem, one "cannot start" text on stderr. Each problem names the variable and the valid
// form, never a secret value.
import type { Logger } from './logger.js'

/** Every problem found in a process's settings, one sentence each. */
export class SettingsError extends Error {
  readonly problems: readonly string[]

  constructor(problems: readonly string[]) {
    super(`invalid settings:\n${listProblems(problems)}`)
    this.name = 'SettingsError'
    this.problems = problems
  }
}

export function isSettingsError(error: unknown): error is SettingsError {
  return error instanceof SettingsError
}

/** The text a process prints on stderr when its settings stop it. */
export function cannotStartText(program: string, problems: readonly string[]): string {
  return `${program}: cannot start:\n${listProblems(problems)}\n`
}

/** Logs each problem as an `invalid setting` line and writes the cannot-start text to stderr. */
export function reportSettingsProblems(
  program: string,
  problems: readonly string[],
  logger: Logger,
  stderr: { write(text: string): unknown },
): void {
  for (const problem of problems) logger.error('invalid setting', { problem })
  stderr.write(cannotStartText(program, problems))
}

function listProblems(problems: readonly string[]): string {
  return problems.map((problem) => `  - ${problem}`).join('\n')
}
