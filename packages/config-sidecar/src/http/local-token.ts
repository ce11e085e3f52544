import { SettingsError } from '@sample/shared'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { writeFileAtomic } from '../support/atomic-file.js'
import type { LocalAuth } from '../settings/settings.js'

/**
 * The token local callers must send, or undefined when tokens are turned off. A generated token is
 * new at every start and written (mode 0600) where the app beside the sidecar reads it; the app
 * reads the file again when it gets a 401, so a sidecar restart needs no manual step.
 */
export async function resolveLocalToken(auth: LocalAuth): Promise<string | undefined> {
  switch (auth.kind) {
    case 'none':
      return undefined
    case 'inline':
      return auth.token
    case 'file': {
      if (!auth.generated) {
        const existing = await readFile(auth.path, 'utf8').then(
          (text) => text.trim(),
          (error: unknown) => {
            const code = (error as NodeJS.ErrnoException).code
            if (code === 'ENOENT') return undefined
            throw new SettingsError([
              `CONFIG_SIDECAR_TOKEN names ${auth.path}, which cannot be read (${code ?? 'error'})`,
            ])
          },
        )
        if (existing !== undefined && existing !== '') return existing
      }
      const token = randomBytes(32).toString('base64url')
      await writeFileAtomic(auth.path, `${token}\n`)
      return token
    }
  }
}
