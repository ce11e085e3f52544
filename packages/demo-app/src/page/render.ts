// The page's HTML, rendered on the server with the current redacted config, so its first paint
// (and a screenshot taken at load) already shows it. Every value is escaped.
// Holds: renderPage, escapeHtml. May import: ./badges.js, ./browser.js, ./what-changed.js, types
//   from ./relay.js. Never express, never got.
import { badges } from './badges.js'
import type { Badge } from './badges.js'
import { PAGE_SCRIPT, PAGE_STYLE } from './browser.js'
import type { PageChange, PageView } from './relay.js'
import { describeChange } from './what-changed.js'

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
  <p id="demo-key-row" class="alert" role="alert"${shown.demoKey ? '' : ' hidden'}>Keys ${badge('demo-key', shown.demoKey ?? { text: 'public demo key', tone: 'bad' })} <span id="demo-key-reason">${escapeHtml(shown.demoKeyReason)}</span></p>
  <dl>
    <dt>Version</dt><dd id="version">${escapeHtml(view.version ?? '—')}</dd>
    <dt>ETag of the redacted view</dt><dd id="etag">${escapeHtml(config?.etag ?? '—')}</dd>
    <dt>Updated</dt><dd id="updated"${config === undefined ? '' : ` data-at="${now.toISOString()}"`}>${config === undefined ? '—' : `${now.toISOString().slice(11, 19)} UTC`}</dd>
  </dl>
  <h2>What changed</h2>
  <ol id="changes" class="changes" aria-live="polite">${changeItems(view.changes)}</ol>
  <pre id="config" aria-live="polite">${escapeHtml(document)}</pre>
  <footer>The same view is at <a href="/config">/config</a>: the sidecar's redacted view (<code>GET /config/?redact</code>), so no secret reaches a browser. The app's own process reads the secrets it needs from the full view, on 127.0.0.1 with the token (<code>src/use-a-secret.ts</code>), and serves none of them.</footer>
</main>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`
}

/** The "what changed" list: the changes the relay heard, newest first, or a line saying none yet. */
function changeItems(changes: readonly PageChange[]): string {
  if (changes.length === 0)
    return '<li class="none">No change yet: edit a value and its key shows here, and is marked below for a few seconds.</li>'
  return changes
    .map(
      (change) =>
        `<li><time datetime="${escapeHtml(change.at)}">${escapeHtml(change.at.slice(11, 19))} UTC</time> ${escapeHtml(describeChange(change))}</li>`,
    )
    .join('')
}

/** The document as the page's script shows it (two-space JSON), or as sent when it is not JSON. */
function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2)
  } catch {
    return json
  }
}
