import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { SettingsError } from '@sample/shared'
import { TOKEN_FORM, TOKEN_FORM_TEXT } from '../settings/local-auth.js'
import type { LocalAuth } from '../settings/settings.js'
import { writeFileAtomic } from '../support/atomic-file.js'
import { ensurePrivateDir } from '../support/private-dir.js'

/** The token local callers must send, and how it reaches the app beside the sidecar. */
export interface LocalToken {
  /** Undefined when tokens are turned off. */
  readonly token: string | undefined
  /**
   * Writes a token the sidecar made where the app reads it. Called once the listener is bound: a
   * second sidecar that fails to bind must not replace the running pair's token.
   */
  publish(): Promise<void>
}

/**
 * The token local callers must send. A generated token is new at every start and written (mode
 * 0600) in the user's private directory, where the app reads it; the app reads the file again when
 * it gets a 401, so a sidecar restart needs no manual step. A token from a file meets the same
 * rules as an inline one.
 */
export async function resolveLocalToken(auth: LocalAuth): Promise<LocalToken> {
  const nothing = (): Promise<void> => Promise.resolve()
  switch (auth.kind) {
    case 'none':
      return { token: undefined, publish: nothing }
    case 'inline':
      return { token: auth.token, publish: nothing }
    case 'file': {
      const existing = await readTokenFile(auth.path)
      if (existing !== undefined) return { token: existing, publish: nothing }
      const token = newToken()
      return { token, publish: () => writeFileAtomic(auth.path, `${token}\n`) }
    }
    case 'generated': {
      const token = newToken()
      return {
        token,
        publish: async () => {
          await ensurePrivateDir(auth.dir, 'the token directory')
          await writeFileAtomic(auth.path, `${token}\n`)
        },
      }
    }
  }
}

function newToken(): string {
  return randomBytes(32).toString('base64url')
}

async function readTokenFile(path: string): Promise<string | undefined> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw new SettingsError([
      `CONFIG_SIDECAR_TOKEN names ${path}, which cannot be read (${code ?? 'error'})`,
    ])
  })
  const token = text?.trim()
  if (token === undefined || token === '') return undefined
  if (!TOKEN_FORM.test(token)) {
    throw new SettingsError([
      `CONFIG_SIDECAR_TOKEN names ${path}, whose token must be ${TOKEN_FORM_TEXT} (value hidden)`,
    ])
  }
  return token
}
