// What runs in the browser: the page's one inline script and its styles, and the Content Security
// Policy that allows exactly these two (by hash) and nothing else.
// Holds: PAGE_SCRIPT, PAGE_STYLE, PAGE_CSP. May import: node built-ins, ./what-changed.js. Never
//   express, never got.
//
// The script follows `/events` and writes only with textContent, never as HTML. It holds no data:
// the first paint comes from the server (./render.ts), and the badges' texts from ./badges.ts.
// A `changes` event (paths only) adds a line to the "what changed" list and marks the values at
// those paths in the next `config` it shows, for a few seconds.
import { createHash } from 'node:crypto'
import { describeChange } from './what-changed.js'

/** How long the values a change named stay marked in the document shown. */
export const MARK_MS = 5000
/** How many changes the page lists. */
export const LISTED_CHANGES = 5

export const PAGE_SCRIPT = `
const $ = (id) => document.getElementById(id)
const setBadge = (id, badge) => { const el = $(id); el.textContent = badge.text; el.dataset.tone = badge.tone }
const at = $('updated').dataset.at
if (at) $('updated').textContent = new Date(at).toLocaleTimeString()
for (const time of [...document.querySelectorAll('#changes time[datetime]')]) time.textContent = new Date(time.dateTime).toLocaleTimeString()
const describeChange = ${describeChange.toString()}
let marks = new Set()
let unmark
// The document as JSON.stringify(doc, null, 2) writes it, each leaf at a path of the last change in
// a <mark>. Paths as the sidecar writes them (its formats/flat.ts): keys joined by dots, list indexes
// in brackets, a key at the top without a dot (test/e2e/what-changed.test.ts holds the two together).
const paint = (doc) => {
  const pre = $('config')
  pre.textContent = ''
  let text = ''
  const flush = () => { if (text) pre.append(text); text = '' }
  const leaf = (value, path) => {
    if (!marks.has(path)) { text += JSON.stringify(value); return }
    flush()
    const mark = document.createElement('mark')
    mark.textContent = JSON.stringify(value)
    pre.append(mark)
  }
  const walk = (value, path, depth, indent) => {
    const inner = indent + '  '
    if (Array.isArray(value) && value.length > 0) {
      value.forEach((item, i) => { text += (i ? ',\\n' : '[\\n') + inner; walk(item, path + '[' + i + ']', depth + 1, inner) })
      text += '\\n' + indent + ']'
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      Object.keys(value).forEach((key, i) => {
        text += (i ? ',\\n' : '{\\n') + inner + JSON.stringify(key) + ': '
        walk(value[key], depth === 0 ? key : path + '.' + key, depth + 1, inner)
      })
      text += '\\n' + indent + '}'
    } else leaf(value, path)
  }
  walk(doc, '', 0, '')
  flush()
  if (marks.size === 0) return
  marks = new Set()
  clearTimeout(unmark)
  unmark = setTimeout(() => { for (const mark of [...pre.querySelectorAll('mark')]) mark.replaceWith(mark.textContent) }, ${MARK_MS})
}
const events = new EventSource('/events')
events.addEventListener('open', () => setBadge('live', { text: 'live', tone: 'good' }))
events.addEventListener('changes', (event) => {
  let change
  try { change = JSON.parse(event.data) } catch { return }
  marks = new Set([...change.added, ...change.changed])
  const time = document.createElement('time')
  time.textContent = new Date().toLocaleTimeString()
  const item = document.createElement('li')
  item.append(time, ' ' + describeChange(change))
  const list = $('changes')
  for (const none of [...list.querySelectorAll('.none')]) none.remove()
  list.prepend(item)
  while (list.children.length > ${LISTED_CHANGES}) list.lastElementChild.remove()
})
events.addEventListener('config', (event) => {
  let doc
  try { doc = JSON.parse(event.data) } catch { return }
  const changed = $('etag').textContent !== event.lastEventId
  paint(doc)
  $('etag').textContent = event.lastEventId || '—'
  if (!changed) return
  $('updated').textContent = new Date().toLocaleTimeString()
  $('config').classList.remove('flash'); void $('config').offsetWidth; $('config').classList.add('flash')
})
events.addEventListener('status', (event) => {
  let b
  try { b = JSON.parse(event.data) } catch { return }
  setBadge('ready', b.sidecar)
  if (b.config) { setBadge('stale', b.config); $('stale-reason').textContent = b.reason }
  if (b.demoKey !== undefined) $('demo-key-row').hidden = b.demoKey === null
  if (b.demoKey) { setBadge('demo-key', b.demoKey); $('demo-key-reason').textContent = b.demoKeyReason }
  $('version').textContent = b.version
})
events.onerror = () => setBadge('live', events.readyState === EventSource.CLOSED
  ? { text: 'stopped: reload the page', tone: 'bad' } : { text: 'reconnecting', tone: 'warn' })
`

export const PAGE_STYLE = `
  :root { color-scheme: light dark; --fg: #1d2330; --muted: #5b6474; --bg: #f7f8fa; --card: #fff; --line: #dde1e8;
          --good: #1a7f37; --warn: #9a6700; --bad: #cf222e; font-family: system-ui, sans-serif; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #9aa3b2; --bg: #14171c; --card: #1c2027; --line: #2d333d; } }
  body { margin: 0; background: var(--bg); color: var(--fg); }
  main { max-width: 52rem; margin: 0 auto; padding: 2rem 1.25rem; }
  h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
  p.lead { color: var(--muted); margin: 0 0 1.5rem; }
  .status { display: flex; flex-wrap: wrap; gap: .75rem 1.5rem; margin-bottom: 1rem; align-items: center; }
  .badge { display: inline-block; padding: .15rem .6rem; border-radius: 1rem; font-weight: 600; font-size: .9rem; border: 1px solid var(--line); color: var(--muted); }
  .badge[data-tone="good"] { color: var(--good); border-color: var(--good); }
  .badge[data-tone="warn"] { color: var(--warn); border-color: var(--warn); }
  .badge[data-tone="bad"] { color: var(--bad); border-color: var(--bad); }
  .alert { border: 1px solid var(--bad); border-radius: .5rem; padding: .5rem .75rem; margin: 0 0 1rem; font-size: .9rem; }
  .alert[hidden] { display: none; }
  .reason { color: var(--warn); font-size: .85rem; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0 0 1rem; font-size: .9rem; }
  dt { color: var(--muted); } dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
  pre { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; overflow: auto;
        font-size: .9rem; line-height: 1.45; min-height: 6rem; }
  pre.flash { animation: flash 1s ease-out; }
  pre mark { background: color-mix(in srgb, var(--good) 30%, transparent); color: inherit; border-radius: .2rem; }
  h2 { font-size: 1rem; margin: 0 0 .25rem; }
  ol.changes { margin: 0 0 1rem; padding-left: 1.25rem; font-size: .9rem; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
  ol.changes time { color: var(--muted); margin-right: .25rem; } ol.changes .none { color: var(--muted); list-style: none; margin-left: -1.25rem; }
  @keyframes flash { from { border-color: var(--good); box-shadow: 0 0 0 3px color-mix(in srgb, var(--good) 30%, transparent); } }
  footer { color: var(--muted); font-size: .85rem; }
`

const sha256 = (text: string): string => createHash('sha256').update(text).digest('base64')

/** The page loads nothing from elsewhere, runs only its own script, and is framed by no one. */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${sha256(PAGE_SCRIPT)}'`,
  `style-src 'sha256-${sha256(PAGE_STYLE)}'`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')
