// graph.js — the Graph tab: services as boxes coloured by their actual
// state, each dependency an arrow from what is needed to what needs it,
// laid out in columns by depth (dependencies on the left).
import { h, clear, badge } from './dom.js';

const BOX_W = 170;
const BOX_H = 30;
const GAP_X = 70;
const GAP_Y = 14;

let ctx = null;
let holder = null;
let visible = false;
let latest = [];

// Each service's column: one more than its deepest dependency.
function depths(list) {
  const byName = new Map(list.map((s) => [s.name, s]));
  const depth = new Map();
  const visiting = new Set();
  function of(name) {
    if (depth.has(name)) return depth.get(name);
    if (visiting.has(name)) return 0; /* the registry forbids cycles; be safe anyway */
    visiting.add(name);
    const s = byName.get(name);
    let d = 0;
    for (const dep of (s && s.dependencies) || []) if (byName.has(dep)) d = Math.max(d, of(dep) + 1);
    visiting.delete(name);
    depth.set(name, d);
    return d;
  }
  for (const s of list) of(s.name);
  return depth;
}

function render() {
  if (!visible) return;
  const list = latest;
  clear(holder);
  if (!list.length) {
    holder.append(h('p', { class: 'empty' }, 'No services.'));
    return;
  }
  const depth = depths(list);
  const columns = [];
  for (const s of list) {
    const d = depth.get(s.name);
    (columns[d] = columns[d] || []).push(s);
  }
  const where = new Map();
  columns.forEach((col, x) => col.forEach((s, y) => where.set(s.name, {
    x: 10 + x * (BOX_W + GAP_X), y: 10 + y * (BOX_H + GAP_Y),
  })));
  const width = 20 + columns.length * (BOX_W + GAP_X);
  const height = 20 + Math.max(...columns.map((c) => c.length)) * (BOX_H + GAP_Y);
  const svg = h('svg:svg', { class: 'graph', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
    'aria-label': 'Dependency graph of the services' });
  svg.append(h('svg:defs', null, h('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, h('svg:path', { d: 'M 0 0 L 10 5 L 0 10 z' }))));
  for (const s of list) {
    const to = where.get(s.name);
    for (const dep of s.dependencies || []) {
      const from = where.get(dep);
      if (!from) continue;
      const x1 = from.x + BOX_W, y1 = from.y + BOX_H / 2, x2 = to.x, y2 = to.y + BOX_H / 2;
      svg.append(h('svg:path', { class: 'edge', d: `M ${x1} ${y1} C ${x1 + GAP_X / 2} ${y1}, ${x2 - GAP_X / 2} ${y2}, ${x2} ${y2}` }));
    }
  }
  for (const s of list) {
    const at = where.get(s.name);
    const label = s.name.length > 22 ? `${s.name.slice(0, 21)}…` : s.name;
    const node = h('svg:g', { class: 'node', tabindex: 0, role: 'button', 'data-service': s.name,
      'aria-label': `${s.name}: ${s.state}`,
      onclick: () => ctx.openService(s.name),
      onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') ctx.openService(s.name); } },
      h('svg:title', null, `${s.name}: ${s.state}`),
      h('svg:rect', { x: at.x, y: at.y, width: BOX_W, height: BOX_H, class: `state-${s.state}` }),
      h('svg:text', { x: at.x + 10, y: at.y + BOX_H / 2 + 4 }, label));
    svg.append(node);
  }
  holder.append(svg);
}

export function mount(panel, context) {
  ctx = context;
  holder = h('div', { id: 'graph' });
  const states = ['running', 'starting', 'stopping', 'success', 'failed', 'exited', 'inactive'];
  panel.append(h('div', { class: 'legend' }, states.map((s) => badge('state', s))), holder);
  ctx.store.subscribe((list) => {
    latest = list;
    render();
  });
}

export function show() {
  visible = true;
  render();
}

export function hide() {
  visible = false;
}
