#include "net/web_page.hpp"

namespace cws::net {

namespace {

// One raw literal (GCC and Clang take literals far larger than this). The
// page talks only the documented protocol; every piece of server text goes
// into the document as a text node, never as markup.
constexpr std::string_view page = R"cwspage(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Customers · customer-ws</title>
<link rel="icon" href="data:,">
<style>
  :root { --line: #d8dde3; --muted: #5f6b76; --accent: #1f6feb; --bg: #f6f8fa; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; }
  header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 10px 16px;
           border-bottom: 1px solid var(--line); background: var(--bg); }
  h1 { font-size: 18px; margin: 0 8px 0 0; }
  .state { padding: 2px 10px; border-radius: 10px; background: #e5e7eb; }
  .state[data-state="open"] { background: #d1f5dc; color: #116329; }
  .state[data-state="closed"] { background: #ffe1e1; color: #a40e26; }
  #token-form { margin-left: auto; display: flex; gap: 6px; align-items: center; }
  main { padding: 12px 16px; }
  fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 10px; padding: 8px 10px;
             display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: flex-end; }
  legend { color: var(--muted); padding: 0 4px; }
  label { display: flex; flex-direction: column; gap: 2px; color: var(--muted); font-size: 12px; }
  label.inline { flex-direction: row; align-items: center; gap: 6px; font-size: 14px; color: inherit; }
  input, select, button { font: inherit; color: inherit; }
  input, select { padding: 3px 6px; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
  #search { width: 18em; }
  select[multiple] { min-width: 12em; }
  button { padding: 3px 12px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
  button:disabled { opacity: .45; cursor: default; }
  :focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
  #errors { list-style: none; margin: 0; padding: 0; }
  #errors li { display: flex; gap: 8px; align-items: baseline; margin: 0 0 6px; padding: 6px 10px;
               border: 1px solid #ffb3b8; border-radius: 4px; background: #fff0f1; color: #82071e; }
  #errors li span { flex: 1; }
  #errors button { border: 0; background: none; padding: 0 4px; font-size: 16px; line-height: 1; }
  .bar { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin: 6px 0; }
  .note { color: var(--muted); }
  .scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
  th { position: sticky; top: 0; background: var(--bg); font-weight: 600; white-space: nowrap; }
  tbody tr:nth-child(even) td { background: #fbfcfd; }
  td.num { text-align: right; }
  td.preview { max-width: 28em; color: var(--muted); }
  .chip { display: inline-block; margin: 0 4px 2px 0; padding: 0 8px; border-radius: 10px; background: #ddf4ff;
          color: #0a3069; font-size: 12px; white-space: nowrap; }
  .badge { display: inline-block; min-width: 1.6em; padding: 0 6px; border-radius: 10px; background: #cf222e;
           color: #fff; font-size: 12px; text-align: center; }
  .status { font-size: 12px; padding: 0 6px; border: 1px solid var(--line); border-radius: 4px; }
  @keyframes flash { from { background: #fff5b1; } to { background: transparent; } }
  table.flash td { animation: flash 1.5s ease-out; }
  @media (prefers-reduced-motion: reduce) { table.flash td { animation: none; } }
</style>
</head>
<body>
<header>
  <h1>Customers</h1>
  <span id="state" class="state" role="status" aria-live="polite">Connecting…</span>
  <label class="inline"><input type="checkbox" id="live" checked> Live updates</label>
  <form id="token-form" autocomplete="off">
    <label class="inline" for="token">JWT</label>
    <input id="token" type="password" spellcheck="false" placeholder="none" size="18">
    <button type="submit">Connect</button>
  </form>
</header>
<main>
  <noscript><p>This page needs JavaScript.</p></noscript>
  <ul id="errors" aria-live="assertive"></ul>
  <form id="filters" role="search" autocomplete="off">
    <fieldset>
      <legend>Filters</legend>
      <label>Search <input id="search" name="search" type="search" maxlength="200" placeholder="name, username, email, phone"></label>
      <label>Email <select name="has_email"><option value="all">Any</option><option value="true">Has email</option><option value="false">No email</option></select></label>
      <label>Phone <select name="has_phone"><option value="all">Any</option><option value="true">Has phone</option><option value="false">No phone</option></select></label>
      <label>Unread <select name="has_unread"><option value="all">Any</option><option value="true">Has unread</option><option value="false">No unread</option></select></label>
      <label>Source <select id="source" name="source"><option value="">All sources</option></select></label>
      <label>Conversation status <select id="conversation_status" name="conversation_status"><option value="">Any status</option></select></label>
      <label>Tags (any of; Ctrl/⌘-click for several) <select id="tags" name="tags" multiple size="3"></select></label>
      <label>Created from <input name="date_from" type="date"></label>
      <label>Created to <input name="date_to" type="date"></label>
      <label>Active from <input name="last_activity_from" type="date"></label>
      <label>Active to <input name="last_activity_to" type="date"></label>
      <label>Order <select id="order_by" name="order_by"><option value="">Newest first</option></select></label>
      <button type="button" id="reset">Reset</button>
    </fieldset>
  </form>
  <div class="bar">
    <button type="button" id="prev" disabled>‹ Previous</button>
    <span id="page-info" aria-live="polite">Page 1 of 1</span>
    <button type="button" id="next" disabled>Next ›</button>
    <label class="inline">Per page <select id="page_size"><option>10</option><option selected>20</option><option>50</option><option>100</option></select></label>
    <span id="live-note" class="note" aria-live="polite"></span>
    <span id="warnings" class="note"></span>
  </div>
  <div class="scroll">
    <table id="table">
      <thead><tr>
        <th scope="col">Name</th><th scope="col">Username</th><th scope="col">Email</th><th scope="col">Phone</th>
        <th scope="col">Source</th><th scope="col">Tags</th><th scope="col">Unread</th><th scope="col">Last activity</th>
        <th scope="col">Status</th><th scope="col">Last message</th>
      </tr></thead>
      <tbody id="rows"></tbody>
    </table>
  </div>
  <p id="empty" class="note" hidden>No customers match these filters.</p>
</main>
<script>
'use strict';
// Server data reaches the document only through createTextNode and
// new Option(text): names may hold any text, and none of it becomes markup.
const $ = (id) => document.getElementById(id);
const form = $('filters');
const TOKEN_KEY = 'customer-ws.token';
const state = { ws: null, seq: 0, listId: 0, pending: false, page: 1, live: true, retries: 0, retryTimer: 0 };
let token = '';
try { token = sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { /* storage disabled: memory only */ }
$('token').value = token;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) Object.assign(node, props);
  for (const child of children) {
    if (child === null || child === undefined || child === '') continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function setState(kind, text) {
  $('state').dataset.state = kind;
  $('state').textContent = text;
}

function showError(code, message) {
  const close = el('button', { type: 'button', title: 'Dismiss' }, '×');
  close.setAttribute('aria-label', 'Dismiss this error');
  const item = el('li', null, el('strong', null, code || 'error'), el('span', null, message || ''), close);
  close.addEventListener('click', () => item.remove());
  const list = $('errors');
  list.appendChild(item);
  while (list.children.length > 5) list.firstElementChild.remove();  // old errors make way for new ones
}

function send(message) {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
  state.ws.send(JSON.stringify(message));
  return true;
}

// "", [] and "all" mean "no filter" in the protocol: leave them out.
function currentFilters() {
  const filters = { page: state.page, page_size: Number($('page_size').value) };
  for (const field of form.elements) {
    if (!field.name) continue;
    const value = field.multiple ? Array.from(field.selectedOptions, (o) => o.value) : field.value.trim();
    if (value.length && value !== 'all') filters[field.name] = value;
  }
  return filters;
}

// Each list request gets a new id; answers to older ones are dropped.
function requestList() {
  state.listId = ++state.seq;
  state.pending = send({ type: 'filter_customers', request_id: state.listId, filters: currentFilters() });
}

function filtersChanged() {
  state.page = 1;
  requestList();
}

function connect() {
  clearTimeout(state.retryTimer);
  if (state.ws) {  // a new token: drop the old connection; its events no longer count
    state.ws.onmessage = null;
    state.ws.close();
  }
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = token ? '?token=' + encodeURIComponent(token) : '';
  const ws = new WebSocket(`${scheme}//${location.host}/ws/customers/${query}`);
  state.ws = ws;
  state.pending = false;
  setState('connecting', 'Connecting…');
  ws.onopen = () => {
    clearTimeout(watchdog);
    state.retries = 0;
    setState('open', 'Connected');
    send({ type: 'get_filter_options' });
    if (!state.live) send({ type: 'unsubscribe' });  // a new connection starts subscribed
    requestList();
  };
  ws.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    handle(message);
  };
  // Both error and close end up here, once: some engines skip the close
  // event after a refused connection.
  const lost = (event) => {
    if (state.ws !== ws) return;
    clearTimeout(watchdog);
    state.ws = null;
    state.pending = false;
    ws.close();
    if (event.code === 4001) {  // a bad token stays bad: wait for a new one
      setState('closed', 'Not authorised: enter a valid token');
      return;
    }
    // Exponential backoff with jitter, so that a restarted server is not stormed.
    const delay = Math.min(30000, 1000 * 2 ** state.retries) * (0.5 + Math.random() / 2);
    state.retries = Math.min(state.retries + 1, 5);
    setState('closed', `Disconnected; retrying in ${Math.ceil(delay / 1000)} s`);
    state.retryTimer = setTimeout(connect, delay);
  };
  ws.onerror = lost;
  ws.onclose = lost;
  // An attempt that hangs (packets dropped somewhere) is given up after 10 s.
  const watchdog = setTimeout(() => { if (ws.readyState === WebSocket.CONNECTING) lost({}); }, 10000);
}

function handle(message) {
  switch (message.type) {
    case 'customers_list':
      if (message.request_id !== undefined) {
        if (message.request_id !== state.listId) return;  // stale: a newer request is on its way
        state.pending = false;
      } else if (state.pending) {
        return;  // the initial list or a push for the previous filters; our answer follows
      }
      renderList(message);
      if (message.reason === 'update') {
        flash();
        refreshOptionsSoon();
      }
      break;
    case 'filter_options':
      renderOptions(message.options || {});
      break;
    case 'subscription':
      state.live = Boolean(message.live);
      $('live').checked = state.live;
      break;
    case 'error':
      if (message.request_id !== undefined && message.request_id !== state.listId) return;
      if (message.request_id !== undefined) state.pending = false;
      showError(message.code, message.message || message.error);
      break;
    case 'authentication_error':
      showError(message.error_code, message.message);
      break;
  }
}

function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function preview(conversation) {
  const text = conversation && conversation.last_message && conversation.last_message.content;
  if (!text) return '';
  const chars = Array.from(String(text).replace(/\s+/g, ' '));  // by code point: never split an emoji
  return chars.length > 80 ? chars.slice(0, 79).join('') + '…' : chars.join('');
}

function customerRow(c) {
  const latest = (c.conversations || [])[0];  // newest first
  const name = [c.first_name, c.last_name].filter(Boolean).join(' ');
  const tags = (c.tags || []).map((t) => el('span', { className: 'chip' }, typeof t === 'string' ? t : t.name));
  // dir=auto: a right-to-left name lays out on its own, without reordering the row.
  return el('tr', null,
    el('td', { dir: 'auto' }, name || '—'),
    el('td', { dir: 'auto' }, c.username),
    el('td', null, c.email),
    el('td', null, c.phone_number),
    el('td', null, c.source),
    el('td', null, ...tags),
    el('td', { className: 'num' }, c.unread_count ? el('span', { className: 'badge' }, c.unread_count) : ''),
    el('td', { title: c.last_activity || '' }, formatTime(c.last_activity)),
    el('td', null, latest && latest.status ? el('span', { className: 'status' }, latest.status) : ''),
    el('td', { className: 'preview', dir: 'auto' }, preview(latest)));
}

function renderList(message) {
  const rows = (message.customers || []).map(customerRow);
  $('rows').replaceChildren(...rows);
  $('empty').hidden = rows.length > 0;
  const p = message.pagination || {};
  state.page = p.page || 1;
  $('page-info').textContent = `Page ${state.page} of ${Math.max(1, p.total_pages || 0)} · ${p.count || 0} customers`;
  $('prev').disabled = !p.has_previous;
  $('next').disabled = !p.has_next;
  $('warnings').textContent = (message.warnings || []).join('; ');
}

function flash() {
  const table = $('table');
  table.classList.remove('flash');
  void table.offsetWidth;  // restart the animation when pushes come in quick succession
  table.classList.add('flash');
  $('live-note').textContent = 'Updated live at ' + new Date().toLocaleTimeString();
}

// Options are never pushed: after a change, ask again, at most every 5 s.
let optionsTimer = 0;
function refreshOptionsSoon() {
  if (optionsTimer) return;
  optionsTimer = setTimeout(() => { optionsTimer = 0; send({ type: 'get_filter_options' }); }, 5000);
}

// Keeps the selection; a selected value the server no longer lists stays,
// so that the form still shows what the current query filters on.
function fillSelect(select, items, placeholder, counts) {
  const keep = new Set(Array.from(select.selectedOptions, (o) => o.value));
  const options = placeholder === null ? [] : [new Option(placeholder, '')];
  const seen = new Set();
  for (const item of items || []) {
    const value = typeof item === 'object' ? item.value : item;
    const label = typeof item === 'object' ? item.label : item;
    const text = counts && counts.has(value) ? `${label} (${counts.get(value)})` : label;
    options.push(new Option(text, value, false, keep.has(value)));
    seen.add(value);
  }
  for (const value of keep) if (value && !seen.has(value)) options.push(new Option(value, value, false, true));
  if (placeholder !== null && !options.some((o) => o.selected)) options[0].selected = true;
  select.replaceChildren(...options);
}

function renderOptions(o) {
  fillSelect($('source'), o.sources, 'All sources', new Map(Object.entries(o.source_counts || {})));
  fillSelect($('conversation_status'), o.conversation_statuses, 'Any status',
    new Map(Object.entries(o.conversation_status_counts || {})));
  fillSelect($('tags'), o.tags, null, new Map((o.tag_details || []).map((t) => [t.name, t.count])));
  fillSelect($('order_by'), o.order_options, 'Default order', null);
}

let searchTimer = 0;
form.addEventListener('input', (event) => {
  if (event.target.name !== 'search') return;
  clearTimeout(searchTimer);
  searchTimer = setTimeout(filtersChanged, 250);  // one request per pause in typing, not per key
});
form.addEventListener('change', (event) => {
  if (event.target.name !== 'search') filtersChanged();
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearTimeout(searchTimer);
  filtersChanged();
});
$('reset').addEventListener('click', () => {
  form.reset();
  filtersChanged();
});
$('page_size').addEventListener('change', filtersChanged);
$('prev').addEventListener('click', () => { state.page = Math.max(1, state.page - 1); requestList(); });
$('next').addEventListener('click', () => { state.page += 1; requestList(); });
$('live').addEventListener('change', (event) => {
  state.live = event.target.checked;
  send({ type: state.live ? 'subscribe' : 'unsubscribe' });
});
$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('token').value.trim();
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) { /* memory only */ }
  state.retries = 0;
  connect();
});
window.addEventListener('online', () => { if (!state.ws) { state.retries = 0; connect(); } });

connect();
</script>
</body>
</html>
)cwspage";

}  // namespace

std::string_view web_page_html() { return page; }

}  // namespace cws::net
