// app.js — the dashboard: tabs, the shared view of every service's state
// (one service.status_all call, then again whenever the event stream says
// something changed), the event stream itself, and the message area where
// every API error appears.
import { rpc, stream, takeToken } from './api.js';
import { h, debounce } from './dom.js';
import * as detail from './detail.js';
import * as services from './services.js';
import * as jobs from './jobs.js';
import * as runs from './runs.js';
import * as actions from './actions.js';
import * as logs from './logs.js';
import * as graph from './graph.js';
import * as events from './events.js';

const TABS = [
  ['services', 'Services', services],
  ['jobs', 'Jobs', jobs],
  ['runs', 'Runs', runs],
  ['actions', 'Actions', actions],
  ['logs', 'Logs', logs],
  ['graph', 'Graph', graph],
  ['events', 'Events', events],
];

// ---- messages -------------------------------------------------------------

const messages = document.getElementById('messages');

function say(kind, text) {
  const close = h('button', { 'aria-label': 'Dismiss', onclick: () => box.remove() }, '×');
  const box = h('div', { class: `message ${kind}` }, h('span', null, text), close);
  messages.append(box);
  if (kind === 'info') setTimeout(() => box.remove(), 4000);
}

export function report(error) {
  say('error', error && error.message ? error.message : String(error));
}

// ---- the services' state ----------------------------------------------------

const store = {
  services: [],
  loaded: false,
  listeners: new Set(),
  loading: false,
  again: false,
  subscribe(fn) {
    this.listeners.add(fn);
    if (this.loaded) fn(this.services);
  },
  async refresh() {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    try {
      this.services = await rpc('service.status_all');
      this.loaded = true;
      for (const fn of this.listeners) fn(this.services);
    } catch (e) {
      report(e);
    } finally {
      this.loading = false;
      if (this.again) {
        this.again = false;
        this.refresh();
      }
    }
  },
};

const eventListeners = new Set();

// What every view gets.
const ctx = {
  rpc,
  report,
  say,
  store,
  onEvent(fn) {
    eventListeners.add(fn);
    return () => eventListeners.delete(fn);
  },
  openService(name) {
    detail.open(name);
  },
  showTab(id) {
    select(id);
  },
  // An action from a button: the daemon's answer or error goes to the page.
  async act(method, params, done) {
    try {
      const result = await rpc(method, params);
      if (done) say('info', done);
      store.refresh();
      return result;
    } catch (e) {
      report(e);
      return null;
    }
  },
};

// ---- tabs -----------------------------------------------------------------

const tabList = document.getElementById('tabs');
const views = document.getElementById('views');
const panels = new Map();

function select(id, focus) {
  for (const [tabId, { button, panel, view }] of panels) {
    const on = tabId === id;
    button.setAttribute('aria-selected', on ? 'true' : 'false');
    button.tabIndex = on ? 0 : -1;
    panel.hidden = !on;
    if (on) {
      if (focus) button.focus();
      if (view.show) view.show();
    } else if (view.hide) {
      view.hide();
    }
  }
  if (location.hash !== `#${id}`) history.replaceState(null, '', `#${id}`);
}

function buildTabs() {
  for (const [id, label, view] of TABS) {
    const button = h('button', {
      role: 'tab', id: `tab-${id}`, 'aria-controls': `panel-${id}`, 'aria-selected': 'false',
      onclick: () => select(id),
    }, label);
    const panel = h('section', { role: 'tabpanel', id: `panel-${id}`, 'aria-labelledby': `tab-${id}`, hidden: true });
    tabList.append(button);
    views.append(panel);
    panels.set(id, { button, panel, view });
    view.mount(panel, ctx);
  }
  // Arrow keys move between tabs, as a tablist does.
  tabList.addEventListener('keydown', (e) => {
    const ids = TABS.map(([id]) => id);
    const at = ids.indexOf(document.activeElement.id.replace('tab-', ''));
    if (at < 0) return;
    let to = null;
    if (e.key === 'ArrowRight') to = (at + 1) % ids.length;
    if (e.key === 'ArrowLeft') to = (at + ids.length - 1) % ids.length;
    if (e.key === 'Home') to = 0;
    if (e.key === 'End') to = ids.length - 1;
    if (to === null) return;
    e.preventDefault();
    select(ids[to], true);
  });
}

function showSummary(list) {
  const running = list.filter((s) => s.state === 'running').length;
  const failed = list.filter((s) => s.state === 'failed').length;
  document.getElementById('summary').textContent =
    `${running}/${list.length} running${failed ? `, ${failed} failed` : ''}`;
}

// ---- start ------------------------------------------------------------------

// A bug of the page shows too, rather than a page that silently stops.
addEventListener('error', (e) => report(new Error(`The page failed: ${e.message}`)));
addEventListener('unhandledrejection', (e) => report(e.reason));

function start() {
  if (!takeToken()) {
    report(new Error('No access token: open the URL that `tend dashboard` prints.'));
  }
  buildTabs();
  detail.mount(document.getElementById('detail'), ctx);
  store.subscribe(showSummary);
  const refreshSoon = debounce(() => store.refresh(), 150);
  stream('/events', (ev) => {
    if (ev.event === 'dropped') {
      say('error', 'The event stream fell behind and was reopened.');
      store.refresh();
      return;
    }
    refreshSoon();
    for (const fn of eventListeners) fn(ev.data);
  }, { resume: 'after', onError: report });
  store.refresh();
  const first = location.hash.slice(1);
  select(panels.has(first) ? first : 'services');
}

start();
