// runs.js — the Runs tab: each start of a service as a run, with its jobs
// in dependency order (the order the service lists its actions, which is
// the order they were created in) and their phases.
import { h, clear, badge, fmtTime, debounce } from './dom.js';

let ctx = null;
let list = null;
let visible = false;

function requirementsOf(spec) {
  const d = spec && spec.depends_on;
  if (!d) return '';
  const parts = [];
  if (d.requires && d.requires.length) parts.push(`requires ${d.requires.join(', ')}`);
  if (d.after && d.after.length) parts.push(`after ${d.after.join(', ')}`);
  return parts.join('; ');
}

async function jobsOf(run, into, specs) {
  try {
    const jobs = (await ctx.rpc('job.list', { run_id: run.id })).sort((a, b) => a.id - b.id);
    clear(into).append(h('ol', null, jobs.map((j) => h('li', null,
      badge('phase', j.phase), ' ', h('strong', null, j.action_id),
      j.attempt > 1 ? h('span', { class: 'small' }, ` attempt ${j.attempt}`) : null,
      requirementsOf(specs.get(j.action_id)) ? h('span', { class: 'small' }, ` — ${requirementsOf(specs.get(j.action_id))}`) : null,
      j.error ? h('div', { class: 'small' }, j.error) : null))));
  } catch (e) {
    ctx.report(e);
  }
}

async function load() {
  try {
    const [runs, actions] = await Promise.all([ctx.rpc('run.list', { limit: 50 }), ctx.rpc('action.list')]);
    const specs = new Map(actions.map((a) => [a.name, a]));
    clear(list);
    if (!runs.length) list.append(h('p', { class: 'empty' }, 'No runs yet.'));
    for (const run of runs) {
      const jobs = h('div', { class: 'jobs' });
      list.append(h('div', { class: 'card', 'data-run': run.id },
        h('h3', null, `Run ${run.id} `, h('button', { class: 'link', onclick: () => ctx.openService(run.service) }, run.service), ' ', badge('status', run.status)),
        h('div', { class: 'small' }, `started ${fmtTime(run.started_at)}${run.ended_at ? `, ended ${fmtTime(run.ended_at)}` : ''}${run.reason ? ` — ${run.reason}` : ''}`),
        jobs));
      jobsOf(run, jobs, specs);
    }
  } catch (e) {
    ctx.report(e);
  }
}

const loadSoon = debounce(() => { if (visible) load(); }, 400);

export function mount(panel, context) {
  ctx = context;
  list = h('div', { class: 'cards', id: 'runs-list' });
  panel.append(h('div', { class: 'bar' }, h('button', { class: 'act', onclick: () => load() }, 'Refresh')), list);
  ctx.onEvent((e) => { if (e.kind.startsWith('run.') || e.kind === 'job.phase') loadSoon(); });
}

export function show() {
  visible = true;
  load();
}

export function hide() {
  visible = false;
}
