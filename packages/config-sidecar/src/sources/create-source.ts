// The source the settings name: the one place that turns settings into a ConfigSource.
import type { Settings, UpstreamAuth } from '../settings/settings.js'
import { VERSION } from '../support/version.js'
import { createClientCredentialsProvider } from './auth/client-credentials.js'
import { createStaticTokenProvider } from './auth/static-token.js'
import type { TokenProvider } from './auth/token-provider.js'
import { createFileSource } from './file-source.js'
import { createHttpSource } from './http-source.js'
import type { HttpTimeouts } from './http-source.js'
import type { ConfigSource } from './source.js'

/** A file or directory, or an HTTP upstream with its credentials. */
export function createSource(
  settings: Settings,
  options: { httpTimeouts?: HttpTimeouts | undefined } = {},
): ConfigSource {
  const { source } = settings
  if (source.kind === 'file') return createFileSource(source.path)
  return createHttpSource({
    url: source.url,
    display: source.display,
    tokens: createTokenProvider(source.auth, options.httpTimeouts),
    userAgent: `config-sidecar/${VERSION}`,
    ...(options.httpTimeouts === undefined ? {} : { timeouts: options.httpTimeouts }),
  })
}

function createTokenProvider(
  auth: UpstreamAuth,
  timeouts: HttpTimeouts | undefined,
): TokenProvider | undefined {
  switch (auth.kind) {
    case 'none':
      return undefined
    case 'bearer':
      return createStaticTokenProvider(auth.token)
    case 'client-credentials':
      return createClientCredentialsProvider({
        clientId: auth.clientId,
        clientSecret: auth.clientSecret,
        tokenUrl: auth.tokenUrl,
        ...(timeouts === undefined ? {} : { timeoutMs: timeouts.totalMs }),
      })
  }
}
