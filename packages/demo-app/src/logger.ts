// The demo app logs through the shared JSON-lines logger, like the sidecar.
export { createLogger } from '@sample/shared'
export type { Logger } from '@sample/shared'
