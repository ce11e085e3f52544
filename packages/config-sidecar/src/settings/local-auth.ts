// How local callers authenticate to the sidecar: an explicit token (inline or file:), a token the
// sidecar makes in the user's private directory, or none (local experiments only).
import { resolve } from 'node:path'
import { defaultTokenPath } from '@sample/shared'
import type { EnvReader } from '@sample/shared'
import type { LoadContext, LocalAuth } from './types.js'

/** A local-caller token: at least 16 characters of the token68 alphabet (RFC 9110). */
export const TOKEN_FORM = /^[A-Za-z0-9\-._~+/=]{16,}$/
export const TOKEN_FORM_TEXT = 'at least 16 characters from A-Z a-z 0-9 - . _ ~ + / ='

export function readLocalAuth(
  read: EnvReader,
  context: LoadContext,
  port: number,
  privateDir: string,
  notices: string[],
): LocalAuth {
  const mode = read.oneOf('CONFIG_SIDECAR_AUTH', ['token', 'none'] as const, 'token')
  const token = read.valueRef('CONFIG_SIDECAR_TOKEN')
  if (mode === 'none') {
    if (token !== undefined)
      notices.push('CONFIG_SIDECAR_TOKEN is ignored: CONFIG_SIDECAR_AUTH is none')
    notices.push(
      'CONFIG_SIDECAR_AUTH is none: any local process may read the config; use this only for local experiments',
    )
    return { kind: 'none' }
  }
  if (token === undefined) {
    return { kind: 'generated', path: defaultTokenPath(privateDir, port), dir: privateDir }
  }
  if (token.kind === 'file') return { kind: 'file', path: resolve(context.cwd, token.path) }
  if (!TOKEN_FORM.test(token.value)) {
    read.problem(`CONFIG_SIDECAR_TOKEN must be ${TOKEN_FORM_TEXT}, or file:<path> (value hidden)`)
  }
  return { kind: 'inline', token: token.value }
}
