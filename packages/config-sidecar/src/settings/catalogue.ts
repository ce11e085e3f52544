// The settings catalogue: every CONFIG_* name the sidecar reads, its default and meaning. The
// reference's settings table is checked against it, and unknown names are reported against it.
/** Every setting the sidecar reads, with its default and meaning (the README table is checked against it). */
export const SETTINGS = [
  { name: 'CONFIG_SERVER_PORT', default: '`8082`', meaning: 'port of the listener on 127.0.0.1' },
  {
    name: 'CONFIG_SOURCE',
    default: 'from `VCAP_SERVICES`',
    meaning: '`file:<path>` (JSON or YAML file, or a directory of them) or an `http(s)://` URL',
  },
  {
    name: 'CONFIG_APP_NAME',
    default: 'from `VCAP_APPLICATION`',
    meaning: 'Spring Cloud Config application name',
  },
  { name: 'CONFIG_PROFILE', default: '`default`', meaning: 'Spring Cloud Config profile(s)' },
  { name: 'CONFIG_LABEL', default: 'none', meaning: 'Spring Cloud Config label (branch, tag)' },
  {
    name: 'CONFIG_CLIENT_ID',
    default: 'from `VCAP_SERVICES`',
    meaning: 'OAuth2 client id for the upstream',
  },
  {
    name: 'CONFIG_CLIENT_SECRET',
    default: 'from `VCAP_SERVICES`',
    meaning: 'OAuth2 client secret (`file:<path>` allowed)',
  },
  { name: 'CONFIG_TOKEN_URL', default: 'from `VCAP_SERVICES`', meaning: 'OAuth2 token endpoint' },
  {
    name: 'CONFIG_BEARER_TOKEN',
    default: 'none',
    meaning: 'static bearer token for the upstream (`file:<path>` allowed)',
  },
  {
    name: 'CONFIG_KEYS',
    default: 'none',
    meaning: 'JWK Set with the private key(s) for secrets, JSON or `file:<path>`',
  },
  {
    name: 'CONFIG_POLL_INTERVAL',
    default: '`30s`',
    meaning:
      'how often a source is checked (the first poll splayed over one interval, then ±10% jitter)',
  },
  {
    name: 'CONFIG_SIDECAR_TOKEN',
    default: 'generated',
    meaning: 'token local callers send as `Authorization: Bearer`; a value or `file:<path>`',
  },
  {
    name: 'CONFIG_CACHE_DIR',
    default: '`config-sidecar-cache` in `$XDG_RUNTIME_DIR`, else in `<tmp>/config-sidecar-<uid>`',
    meaning: 'where the last-known-good snapshot lives',
  },
  {
    name: 'CONFIG_MAX_STALENESS',
    default: 'unlimited',
    meaning: 'past this age without a good refresh, 503',
  },
  {
    name: 'CONFIG_SIDECAR_AUTH',
    default: '`token`',
    meaning: '`none` turns local-caller tokens off (local experiments only)',
  },
  {
    name: 'CONFIG_HEALTH_PORT',
    default: 'none',
    meaning: 'extra listener on all interfaces for `/livez` and `/readyz` only',
  },
  { name: 'CONFIG_LOG_LEVEL', default: '`info`', meaning: '`debug`, `info`, `warn` or `error`' },
  {
    name: 'CONFIG_WRITE_FILE',
    default: 'none',
    meaning:
      'comma-separated paths; every accepted config is also written to each, format from the extension (`.json`, `.flat.json`, `.properties`, `.env`, `.yaml`, `.yml`)',
  },
  {
    name: 'CONFIG_ON_CHANGE',
    default: 'none',
    meaning: 'a command run by `/bin/sh -c` after the files of a changed config are written',
  },
] as const

export type SettingName = (typeof SETTINGS)[number]['name']
