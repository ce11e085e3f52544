/** The sidecar's version, sent as its User-Agent and logged at start. */
export const VERSION = '0.1.0'
