// The page's HTML, rendered on the server with the current redacted config, so its first paint
// (and a screenshot taken at load) already shows it. Every value is escaped.
// Holds: renderPage, escapeHtml. May import: ./badges.js, ./browser.js, types from ./relay.js.
//   Never express, never got.
import { badges } from './badges.js'
import type { Badge } from './badges.js'
import { PAGE_SCRIPT, PAGE_STYLE } from './browser.js'
import type { PageView } from './relay.js'

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

const badge = (id: string, { text, tone }: Badge): string =>
  `<span id="${id}" class="badge" data-tone="${tone}">${escapeHtml(text)}</span>`

export function renderPage(view: PageView, now: Date): string {
  const { config, status } = view
  const shown = badges(status, config !== undefined)
  const document =
    config !== undefined
      ? pretty(config.json)
      : status.reach === 'unreachable'
        ? 'The sidecar does not answer yet. This page shows the config as soon as it does.'
        : 'The sidecar has no config yet. This page shows it as soon as it has one.'
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Config sidecar demo</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
  <h1>Config sidecar demo</h1>
  <p class="lead">This app reads its configuration from the sidecar beside it. Secrets are shown redacted; the view updates by itself when the config changes.</p>
  <div class="status">
    <span>Sidecar ${badge('ready', shown.sidecar)}</span>
    <span>Config ${badge('stale', shown.config ?? { text: 'checking', tone: 'unknown' })} <span id="stale-reason" class="reason">${escapeHtml(shown.reason)}</span></span>
    <span>Live updates ${badge('live', { text: 'connecting', tone: 'unknown' })}</span>
  </div>
  <dl>
    <dt>Version</dt><dd id="version">${escapeHtml(view.version ?? '—')}</dd>
    <dt>ETag of the redacted view</dt><dd id="etag">${escapeHtml(config?.etag ?? '—')}</dd>
    <dt>Updated</dt><dd id="updated"${config === undefined ? '' : ` data-at="${now.toISOString()}"`}>${config === undefined ? '—' : `${now.toISOString().slice(11, 19)} UTC`}</dd>
  </dl>
  <pre id="config" aria-live="polite">${escapeHtml(document)}</pre>
  <footer>The same view is at <a href="/config">/config</a>: the sidecar's redacted view (<code>GET /config/?redact</code>), so no secret reaches a browser. The app's own process reads the secrets it needs from the full view, on 127.0.0.1 with the token (<code>src/use-a-secret.ts</code>), and serves none of them.</footer>
</main>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`
}

/** The document as the page's script shows it (two-space JSON), or as sent when it is not JSON. */
function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2)
  } catch {
    return json
  }
}
