// events.js — the Events tab: the latest events, then every new one as it
// happens, newest first, filterable by service.
import { h, clear, fmtTime } from './dom.js';

const MAX = 1000;

let ctx = null;
let body = null;
let filter = null;

function row(e) {
  return h('tr', { 'data-service': e.service || '' },
    h('td', { class: 'num' }, e.id),
    h('td', null, fmtTime(e.at)),
    h('td', null, e.kind),
    h('td', null, e.service || ''),
    h('td', { class: 'num' }, e.job_id || ''),
    h('td', { class: 'num' }, e.run_id || ''),
    h('td', null, e.data === null || e.data === undefined ? '' : JSON.stringify(e.data)));
}

function visibleFor(tr) {
  const f = filter.value.trim();
  return !f || tr.dataset.service === f;
}

function add(e) {
  const tr = row(e);
  tr.hidden = !visibleFor(tr);
  body.prepend(tr);
  while (body.childElementCount > MAX) body.lastChild.remove();
}

async function load() {
  try {
    const past = await ctx.rpc('events.list', { tail: 200 });
    clear(body);
    for (const e of past) add(e);
  } catch (e) {
    ctx.report(e);
  }
}

export function mount(panel, context) {
  ctx = context;
  body = h('tbody');
  filter = h('input', { type: 'search', placeholder: 'Only this service', 'aria-label': 'Filter events by service',
    oninput: () => { for (const tr of body.children) tr.hidden = !visibleFor(tr); } });
  panel.append(h('div', { class: 'bar' }, filter),
    h('table', { id: 'events-table' }, h('thead', null, h('tr', null,
      ['#', 'Time', 'Kind', 'Service', 'Job', 'Run', 'Data'].map((c) => h('th', { scope: 'col' }, c)))), body));
  load();
  ctx.onEvent(add);
}
