// A served config (the sidecar's state object) made from a plain document, for unit tests of what
// consumes one: the config files, the on-change command, the renderers.
import { createServedConfig } from '../packages/config-sidecar/src/state/served-config.js'
import type { ServedConfig } from '../packages/config-sidecar/src/state/served-config.js'

/** A served config of `document` (no secrets) with the given version. */
export function servedConfig(document: Record<string, unknown>, version: string): ServedConfig {
  return createServedConfig({ document, secretPaths: [], version })
}
