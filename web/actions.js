// actions.js — the Actions tab: every action's spec, and "Run standalone"
// (job.create: a job of the action with no service).
import { h, append, clear } from './dom.js';

let ctx = null;
let list = null;

function card(a) {
  const command = a.exec ? a.exec.concat(a.args || []).join(' ') : a.script;
  return h('div', { class: 'card', 'data-action-name': a.name },
    h('h3', null, a.name),
    a.description ? h('p', null, a.description) : null,
    h('dl', { class: 'kv' },
      h('dt', null, 'Runs'), h('dd', null, a.interpreter),
      h('dt', null, 'Kind'), h('dd', null, a.kind),
      h('dt', null, 'Ready'), h('dd', null, a.ready || 'started'),
      a.from_service ? [h('dt', null, 'Of service'), h('dd', null, a.from_service)] : null,
      a.user ? [h('dt', null, 'User'), h('dd', null, a.user)] : null,
      a.cwd ? [h('dt', null, 'In'), h('dd', null, a.cwd)] : null,
      // The files only: their values never leave the daemon.
      a.env_file && a.env_file.length
        ? [h('dt', null, 'Env files'), h('dd', null, a.env_file.join(', '))] : null),
    h('pre', null, command || ''),
    h('button', { class: 'act', 'data-action': 'run',
      onclick: async () => {
        const job = await ctx.act('job.create', { action: a.name });
        if (job) ctx.say('info', `Job ${job.id} of ${a.name} started`);
      } }, 'Run standalone'));
}

async function load() {
  try {
    const actions = await ctx.rpc('action.list');
    append(clear(list), actions.length ? actions.map(card) : h('p', { class: 'empty' }, 'No actions.'));
  } catch (e) {
    ctx.report(e);
  }
}

export function mount(panel, context) {
  ctx = context;
  list = h('div', { class: 'cards', id: 'actions-list' });
  panel.append(h('div', { class: 'bar' }, h('button', { class: 'act', onclick: () => load() }, 'Refresh')), list);
}

export function show() {
  load();
}
