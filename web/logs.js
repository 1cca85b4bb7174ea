// logs.js — the Logs tab: the live output of one or many services in one
// view, stderr in red, with a search that hides what does not match and
// a pause that holds new lines back until resumed.
import { h, clear } from './dom.js';
import { stream } from './api.js';

const MAX_LINES = 5000;

let ctx = null;
let picks = null;
let view = null;
let search = null;
let pauseButton = null;
let paused = false;
let held = [];
const following = new Map(); // service -> stream
let shown = false;
let latest = [];

function lineElement(service, line) {
  const el = h('div', { class: `line ${line.stream}`, 'data-service': service },
    h('span', { class: 'at' }, line.at.slice(11, 19)), h('span', { class: 'svc' }, service), line.text);
  const text = search.value.trim().toLowerCase();
  if (text && !el.textContent.toLowerCase().includes(text)) el.hidden = true;
  return el;
}

function display(elements) {
  const atBottom = view.scrollTop + view.clientHeight >= view.scrollHeight - 4;
  view.append(...elements);
  let extra = view.childElementCount - MAX_LINES;
  while (extra-- > 0) view.firstChild.remove();
  if (atBottom) view.scrollTop = view.scrollHeight;
}

function add(service, line) {
  const el = lineElement(service, line);
  if (paused) {
    held.push(el);
    pauseButton.textContent = `Resume (${held.length} new)`;
  } else {
    display([el]);
  }
}

// The box says data-following="open" while its stream is live, so that
// whoever looks (a test, a script) knows new lines will show; a stream that
// broke off takes the mark away.
function follow(service, box) {
  if (box.checked && !following.has(service)) {
    following.set(service, stream(`/logs/${encodeURIComponent(service)}?follow=1&lines=50`, (ev) => {
      if (ev.event === 'line') add(service, ev.data);
      else if (ev.event === 'dropped') ctx.report(new Error(`The log of ${service} came too fast; follow it again.`));
    }, {
      onError: (e) => { delete box.dataset.following; ctx.report(e); },
      onOpen: () => { box.dataset.following = 'open'; },
    }));
  } else if (!box.checked && following.has(service)) {
    following.get(service).close();
    following.delete(service);
    delete box.dataset.following;
  }
}

function applySearch() {
  const text = search.value.trim().toLowerCase();
  for (const el of view.children) el.hidden = Boolean(text) && !el.textContent.toLowerCase().includes(text);
}

function togglePause() {
  paused = !paused;
  pauseButton.setAttribute('aria-pressed', paused ? 'true' : 'false');
  if (!paused) {
    display(held);
    held = [];
  }
  pauseButton.textContent = paused ? 'Resume' : 'Pause';
}

function renderPicks(list) {
  const have = new Set([...picks.querySelectorAll('input')].map((i) => i.value));
  for (const s of list) {
    if (have.has(s.name)) continue;
    const box = h('input', { type: 'checkbox', value: s.name, onchange: (e) => follow(s.name, e.target) });
    picks.append(h('label', null, box, ' ', s.name));
  }
}

export function mount(panel, context) {
  ctx = context;
  picks = h('div', { class: 'service-picks', id: 'log-picks', role: 'group', 'aria-label': 'Services to follow' });
  view = h('div', { class: 'logview', id: 'log-view', 'aria-live': 'off' });
  search = h('input', { type: 'search', placeholder: 'Search the lines', 'aria-label': 'Search the log', oninput: applySearch });
  pauseButton = h('button', { class: 'act', 'aria-pressed': 'false', onclick: togglePause }, 'Pause');
  panel.append(
    h('p', { class: 'small' }, 'Pick the services to follow; new lines appear as they are written.'),
    picks,
    h('div', { class: 'bar' }, search, pauseButton,
      h('button', { class: 'act', onclick: () => clear(view) }, 'Clear')),
    view);
  // The checkboxes are made when the tab is first shown, not before.
  ctx.store.subscribe((list) => {
    latest = list;
    if (shown) renderPicks(list);
  });
}

export function show() {
  shown = true;
  renderPicks(latest);
}
