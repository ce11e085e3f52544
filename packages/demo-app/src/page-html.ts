/**
 * The demo page: plain HTML, CSS and one inline script, no build step. It renders the redacted
 * config with `textContent` only (never as HTML) and follows `/events` for live updates.
 */
export const PAGE_SCRIPT = `
const $ = (id) => document.getElementById(id)
const setBadge = (id, text, tone) => { const el = $(id); el.textContent = text; el.dataset.tone = tone }
const events = new EventSource('/events')
events.addEventListener('config', (event) => {
  let doc
  try { doc = JSON.parse(event.data) } catch { return }
  $('config').textContent = JSON.stringify(doc, null, 2)
  $('etag').textContent = event.lastEventId || '—'
  $('updated').textContent = new Date().toLocaleTimeString()
  $('config').classList.remove('flash'); void $('config').offsetWidth; $('config').classList.add('flash')
})
events.addEventListener('status', (event) => {
  let s
  try { s = JSON.parse(event.data) } catch { return }
  setBadge('ready', s.sidecar === 'ready' ? 'ready' : s.sidecar === 'not-ready' ? 'not ready' : 'unreachable', s.sidecar === 'ready' ? 'good' : 'bad')
  setBadge('stale', s.stale ? 'stale' : 'fresh', s.stale ? 'warn' : 'good')
  $('version').textContent = s.version || '—'
})
events.onerror = () => setBadge('ready', 'reconnecting', 'bad')
`

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Config sidecar demo</title>
<style>
  :root { color-scheme: light dark; --fg: #1d2330; --muted: #5b6474; --bg: #f7f8fa; --card: #fff; --line: #dde1e8;
          --good: #1a7f37; --warn: #9a6700; --bad: #cf222e; font-family: system-ui, sans-serif; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #9aa3b2; --bg: #14171c; --card: #1c2027; --line: #2d333d; } }
  body { margin: 0; background: var(--bg); color: var(--fg); }
  main { max-width: 52rem; margin: 0 auto; padding: 2rem 1.25rem; }
  h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
  p.lead { color: var(--muted); margin: 0 0 1.5rem; }
  .status { display: flex; flex-wrap: wrap; gap: .75rem 1.5rem; margin-bottom: 1rem; align-items: center; }
  .badge { display: inline-block; padding: .15rem .6rem; border-radius: 1rem; font-weight: 600; font-size: .9rem; border: 1px solid var(--line); }
  .badge[data-tone="good"] { color: var(--good); border-color: var(--good); }
  .badge[data-tone="warn"] { color: var(--warn); border-color: var(--warn); }
  .badge[data-tone="bad"] { color: var(--bad); border-color: var(--bad); }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0 0 1rem; font-size: .9rem; }
  dt { color: var(--muted); } dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
  pre { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; overflow: auto;
        font-size: .9rem; line-height: 1.45; min-height: 6rem; }
  pre.flash { animation: flash 1s ease-out; }
  @keyframes flash { from { border-color: var(--good); box-shadow: 0 0 0 3px color-mix(in srgb, var(--good) 30%, transparent); } }
  footer { color: var(--muted); font-size: .85rem; }
</style>
</head>
<body>
<main>
  <h1>Config sidecar demo</h1>
  <p class="lead">This app reads its configuration from the sidecar beside it. Secrets are shown redacted; the view updates by itself when the config changes.</p>
  <div class="status">
    <span>Sidecar <span id="ready" class="badge" data-tone="bad">connecting</span></span>
    <span>Config <span id="stale" class="badge" data-tone="warn">unknown</span></span>
  </div>
  <dl>
    <dt>Version</dt><dd id="version">—</dd>
    <dt>ETag</dt><dd id="etag">—</dd>
    <dt>Updated</dt><dd id="updated">—</dd>
  </dl>
  <pre id="config" aria-live="polite">Waiting for the first config…</pre>
  <footer>The raw config is at <a href="/config">/config</a> (from the sidecar's <code>GET /config/</code>).</footer>
</main>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`
