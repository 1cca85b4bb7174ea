// detail.js — one service up close: why it is in its state, its health,
// dependency tree, latest runs and jobs, and its live log.
import { h, clear, badge, fmtTime, fmtDuration, debounce } from './dom.js';
import { stream } from './api.js';

let ctx = null;
let panel = null;
let current = null; // {name, logs, body, offEvents}

function treeList(node) {
  const item = h('li', null, badge('state', node.state), ' ',
    h('button', { class: 'link', onclick: () => open(node.name) }, node.name));
  if (node.dependencies && node.dependencies.length) {
    item.append(h('ul', { class: 'tree' }, node.dependencies.map(treeList)));
  }
  return item;
}

function jobsTable(jobs) {
  if (!jobs.length) return h('p', { class: 'empty' }, 'No jobs.');
  return h('table', null,
    h('thead', null, h('tr', null, ['Job', 'Action', 'Run', 'Phase', 'Attempt', 'Exit', 'Duration']
      .map((c) => h('th', null, c)))),
    h('tbody', null, jobs.map((j) => h('tr', null,
      h('td', { class: 'num' }, j.id), h('td', null, j.action_id), h('td', { class: 'num' }, j.run_id || ''),
      h('td', null, badge('phase', j.phase)), h('td', { class: 'num' }, j.attempt),
      h('td', null, j.exit_code !== null ? j.exit_code : (j.term_signal ? `signal ${j.term_signal}` : '')),
      h('td', null, j.started_at ? fmtDuration((j.ended_at || Date.now() / 1000) - j.started_at) : ''),
    ))));
}

async function fill(name, parts) {
  try {
    const [status, why, tree, runs, jobs] = await Promise.all([
      ctx.rpc('service.status', { name }),
      ctx.rpc('service.why', { name }),
      ctx.rpc('service.tree', { name }),
      ctx.rpc('run.list', { service: name, limit: 10 }),
      ctx.rpc('job.list', { service_id: name, limit: 20 }),
    ]);
    if (!current || current.name !== name) return;
    clear(parts.state).append(badge('state', status.state), ' ',
      h('span', { class: 'small' }, `wanted: ${status.wanted}`));
    clear(parts.why).append(why.why);
    const hl = status.health;
    clear(parts.health).append(hl.check === 'none' ? h('p', { class: 'small' }, 'No health check configured: running means its processes run.') : h('dl', { class: 'kv' },
      h('dt', null, 'Status'), h('dd', null, badge('health', hl.status)),
      h('dt', null, 'Check'), h('dd', null, hl.check),
      h('dt', null, 'Message'), h('dd', null, hl.message),
      h('dt', null, 'Checked'), h('dd', null, hl.checked_at ? `${fmtTime(hl.checked_at)} (${Math.round(hl.duration_ms)} ms)` : '—')));
    clear(parts.tree).append(h('ul', { class: 'tree' }, treeList(tree)));
    clear(parts.runs).append(runs.length ? h('table', null,
      h('thead', null, h('tr', null, ['Run', 'Status', 'Started', 'Ended', 'Reason'].map((c) => h('th', null, c)))),
      h('tbody', null, runs.map((r) => h('tr', null, h('td', { class: 'num' }, r.id),
        h('td', null, badge('status', r.status)), h('td', null, fmtTime(r.started_at)),
        h('td', null, fmtTime(r.ended_at)), h('td', null, r.reason || ''))))) : h('p', { class: 'empty' }, 'No runs.'));
    clear(parts.jobs).append(jobsTable(jobs));
  } catch (e) {
    ctx.report(e);
  }
}

function logLine(line) {
  return h('div', { class: `line ${line.stream}` },
    h('span', { class: 'at' }, line.at.slice(11, 19)), line.text);
}

export function close() {
  if (!current) return;
  current.logs.close();
  current.offEvents();
  current = null;
  panel.hidden = true;
  clear(panel);
}

export function open(name) {
  close();
  const parts = {
    state: h('span'), why: h('div', { class: 'why', id: 'detail-why' }), health: h('div'),
    tree: h('div'), runs: h('div'), jobs: h('div'),
    log: h('div', { class: 'logview', id: 'detail-log', 'aria-live': 'off' }),
  };
  const closeButton = h('button', { class: 'act close', onclick: close, 'aria-label': 'Close details' }, 'Close');
  panel.append(
    h('h2', null, h('span', { id: 'detail-name' }, name), parts.state, closeButton),
    h('h3', null, 'Why'), parts.why,
    h('h3', null, 'Health'), parts.health,
    h('h3', null, 'Dependencies'), parts.tree,
    h('h3', null, 'Runs'), parts.runs,
    h('h3', null, 'Jobs'), parts.jobs,
    h('h3', null, 'Log'), parts.log,
  );
  panel.hidden = false;
  closeButton.focus();
  const refresh = debounce(() => fill(name, parts), 200);
  const logs = stream(`/logs/${encodeURIComponent(name)}?follow=1&lines=100`, (ev) => {
    if (ev.event === 'line') {
      const atBottom = parts.log.scrollTop + parts.log.clientHeight >= parts.log.scrollHeight - 4;
      parts.log.append(logLine(ev.data));
      while (parts.log.childElementCount > 2000) parts.log.firstChild.remove();
      if (atBottom) parts.log.scrollTop = parts.log.scrollHeight;
    } else if (ev.event === 'dropped') {
      ctx.report(new Error(`The log of ${name} came too fast and stopped following; reopen it.`));
    }
  }, { onError: ctx.report });
  const offEvents = ctx.onEvent((e) => {
    if (e.service === name) refresh();
  });
  current = { name, logs, offEvents };
  fill(name, parts);
}

export function mount(element, context) {
  panel = element;
  ctx = context;
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && current) close();
  });
}
