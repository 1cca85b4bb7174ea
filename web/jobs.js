// jobs.js — the Jobs tab: jobs with their provenance (service, action,
// run), attempt, exit code and duration, filtered by service, action and
// phase; retry an ended job, cancel a live one.
import { h, append, clear, badge, fmtDuration, fmtTime, debounce } from './dom.js';

const PHASES = ['pending', 'starting', 'running', 'stopping', 'succeeded', 'failed', 'cancelled', 'lost'];
const LIVE = new Set(['pending', 'starting', 'running', 'stopping']);

let ctx = null;
let body = null;
let visible = false;
let services = [];
const filters = {};

function select(label, name, options) {
  const el = h('select', { 'aria-label': label, name, onchange: () => load() },
    h('option', { value: '' }, `any ${label.toLowerCase()}`),
    options.map((o) => h('option', { value: o }, o)));
  filters[name] = el;
  return el;
}

function fillSelect(el, values) {
  const chosen = el.value;
  const have = new Set([...el.options].map((o) => o.value));
  for (const v of values) if (!have.has(v)) el.append(h('option', { value: v }, v));
  el.value = chosen;
}

function row(j) {
  const buttons = [];
  if (LIVE.has(j.phase)) {
    buttons.push(h('button', { class: 'act', 'data-action': 'cancel',
      onclick: () => ctx.act('job.cancel', { id: j.id }, `Job ${j.id} cancelled`).then(load) }, 'Cancel'));
  } else {
    buttons.push(h('button', { class: 'act', 'data-action': 'retry',
      onclick: () => ctx.act('job.retry', { id: j.id }, `Job ${j.id} retried`).then(load) }, 'Retry'));
  }
  const exit = j.exit_code !== null ? String(j.exit_code) : (j.term_signal ? `signal ${j.term_signal}` : '');
  const ended = j.ended_at || (LIVE.has(j.phase) ? Date.now() / 1000 : null);
  return h('tr', { 'data-job': j.id },
    h('td', { class: 'num' }, j.id),
    h('td', null, j.service_id ? h('button', { class: 'link', onclick: () => ctx.openService(j.service_id) }, j.service_id)
      : h('span', { class: 'small' }, 'standalone')),
    h('td', null, j.action_id),
    h('td', { class: 'num' }, j.run_id || ''),
    h('td', null, badge('phase', j.phase)),
    h('td', { class: 'num' }, j.attempt),
    h('td', null, exit, j.error ? h('div', { class: 'small' }, j.error) : null),
    h('td', null, fmtTime(j.created_at)),
    h('td', null, j.started_at && ended ? fmtDuration(ended - j.started_at) : ''),
    h('td', null, buttons));
}

async function load() {
  const params = { limit: 200 };
  if (filters.service.value) params.service_id = filters.service.value;
  if (filters.action.value) params.action_id = filters.action.value;
  if (filters.phase.value) params.phase = filters.phase.value;
  try {
    const jobs = await ctx.rpc('job.list', params);
    append(clear(body), jobs.length ? jobs.map(row) : h('tr', null, h('td', { colspan: 10, class: 'empty' }, 'No jobs match.')));
  } catch (e) {
    ctx.report(e);
  }
}

const loadSoon = debounce(() => { if (visible) load(); }, 300);

export function mount(panel, context) {
  ctx = context;
  body = h('tbody');
  panel.append(
    h('div', { class: 'bar' }, select('Service', 'service', []), select('Action', 'action', []),
      select('Phase', 'phase', PHASES), h('button', { class: 'act', onclick: () => load() }, 'Refresh')),
    h('table', { id: 'jobs-table' }, h('thead', null, h('tr', null,
      ['Job', 'Service', 'Action', 'Run', 'Phase', 'Attempt', 'Exit', 'Created', 'Duration', ''].map((c) => h('th', { scope: 'col' }, c)))), body));
  ctx.store.subscribe((list) => {
    services = list;
    if (visible) fillSelect(filters.service, list.map((s) => s.name));
  });
  ctx.onEvent((e) => { if (e.kind.startsWith('job.')) loadSoon(); });
}

export async function show() {
  visible = true;
  fillSelect(filters.service, services.map((s) => s.name));
  try {
    const actions = await ctx.rpc('action.list');
    fillSelect(filters.action, actions.map((a) => a.name));
  } catch (e) {
    ctx.report(e);
  }
  load();
}

export function hide() {
  visible = false;
}
