// services.js — the Services tab: every service with its ACTUAL state (the
// wanted one only in small print beside it), health, PID, uptime, restarts
// and last exit, and the buttons that make sense for the actual state.
// Rows are kept by name and only changed cells are touched, so a thousand
// services stay cheap to update; rows are grid rows (not a <table>) so that
// the browser skips laying out those off screen (content-visibility).
import { h, clear, badge, fmtDuration, fmtExit } from './dom.js';

let ctx = null;
let body = null;
let filterInput = null;
let emptyRow = null;
const rows = new Map(); // name -> {tr, cells, key}
let latest = [];

const COLUMNS = ['Name', 'Category', 'State', 'Health', 'PID', 'Uptime', 'Restarts', 'Last exit', ''];

function buttonsFor(s) {
  const name = s.name;
  const act = (label, method, params, done, danger) =>
    h('button', {
      class: `act${danger ? ' danger' : ''}`, 'data-action': label.toLowerCase(),
      'aria-label': `${label} ${name}`,
      onclick: () => ctx.act(method, params, done),
    }, label);
  if (['running', 'starting'].includes(s.state)) {
    return [
      act('Stop', 'service.stop', { name }, `Stopping ${name}`),
      act('Restart', 'service.restart', { name }, `Restarting ${name}`),
      act('Kill', 'service.kill', { name }, `Killed ${name}`, true),
    ];
  }
  if (s.state === 'stopping') return [act('Kill', 'service.kill', { name }, `Killed ${name}`, true)];
  return [act('Start', 'service.start', { name }, `Starting ${name}`)];
}

function uptimeOf(s, now) {
  if (s.uptime === null || s.uptime === undefined) return '';
  return fmtDuration(s.uptime + (now - s._fetched));
}

function setText(cell, text) {
  if (cell.textContent !== text) cell.textContent = text;
}

const CELLS = ['name', 'category', 'state', 'health', 'pid', 'uptime', 'restarts', 'exit', 'actions'];
const NUMERIC = new Set(['pid', 'uptime', 'restarts']);

function makeRow(s) {
  const cells = {};
  for (const name of CELLS) {
    cells[name] = h('div', { role: 'cell', class: `cell ${name}${NUMERIC.has(name) ? ' num' : ''}` });
  }
  cells.name.append(h('button', { class: 'link', onclick: () => ctx.openService(s.name) }, s.name));
  const tr = h('div', { role: 'row', class: 'row', 'data-service': s.name }, Object.values(cells));
  return { tr, cells, key: '' };
}

function updateRow(row, s, now) {
  const c = row.cells;
  setText(c.category, s.category || '');
  // The state cell and buttons change only with the actual or wanted state.
  const key = `${s.state}|${s.wanted}`;
  if (row.key !== key) {
    row.key = key;
    clear(c.state).append(badge('state', s.state), ' ', h('span', { class: 'small wanted' }, `wanted: ${s.wanted}`));
    clear(c.actions).append(...buttonsFor(s));
  }
  const health = s.health ? s.health.status : 'unknown';
  const healthKey = `${health}|${s.health && s.health.check}`;
  if (c.health.dataset.key !== healthKey) {
    c.health.dataset.key = healthKey;
    clear(c.health);
    if (s.health && s.health.check !== 'none') c.health.append(badge('health', health));
    else c.health.append(h('span', { class: 'small' }, 'no check'));
  }
  c.health.title = s.health ? s.health.message : '';
  setText(c.pid, s.pid ? String(s.pid) : '');
  setText(c.uptime, uptimeOf(s, now));
  setText(c.restarts, String(s.restarts || 0));
  setText(c.exit, fmtExit(s.last_exit));
  row.tr.title = s.reason || '';
}

function matches(s, text) {
  if (!text) return true;
  const t = text.toLowerCase();
  return s.name.toLowerCase().includes(t) || (s.category || '').toLowerCase().includes(t) ||
    s.state.includes(t);
}

function render(list) {
  latest = list;
  const now = Date.now() / 1000;
  const text = filterInput.value.trim();
  const seen = new Set();
  let previous = null;
  for (const s of list) {
    s._fetched = now;
    seen.add(s.name);
    let row = rows.get(s.name);
    if (!row) {
      row = makeRow(s);
      rows.set(s.name, row);
    }
    updateRow(row, s, now);
    row.tr.hidden = !matches(s, text);
    // Keep the registry's order without moving rows that are in place.
    const want = previous ? previous.nextSibling : body.firstChild;
    if (want !== row.tr) body.insertBefore(row.tr, want);
    previous = row.tr;
  }
  for (const [name, row] of rows) {
    if (!seen.has(name)) {
      row.tr.remove();
      rows.delete(name);
    }
  }
  emptyRow.hidden = list.length > 0;
}

function tickUptimes() {
  const now = Date.now() / 1000;
  for (const s of latest) {
    const row = rows.get(s.name);
    if (row && s.uptime !== null && s.uptime !== undefined) setText(row.cells.uptime, uptimeOf(s, now));
  }
}

export function mount(panel, context) {
  ctx = context;
  filterInput = h('input', {
    type: 'search', placeholder: 'Filter by name, category or state', 'aria-label': 'Filter services',
    oninput: () => render(latest),
  });
  body = h('div', { role: 'rowgroup', class: 'rows' });
  emptyRow = h('p', { class: 'empty', hidden: true }, 'No services: load a registry with `tend apply`.');
  panel.append(
    h('div', { class: 'bar' }, filterInput,
      h('button', { class: 'act', onclick: () => ctx.store.refresh() }, 'Refresh')),
    h('div', { id: 'services-table', class: 'grid', role: 'table', 'aria-label': 'Services' },
      h('div', { role: 'rowgroup' }, h('div', { role: 'row', class: 'row head' },
        COLUMNS.map((c) => h('div', { role: 'columnheader', class: 'cell' }, c)))), body),
    emptyRow,
  );
  ctx.store.subscribe(render);
  setInterval(tickUptimes, 5000);
}
