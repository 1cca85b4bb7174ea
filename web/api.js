// api.js — the daemon's API from the page: JSON-RPC over fetch, and
// server-sent event streams read through fetch so that they too carry the
// access token in a header (never in a URL the browser keeps).

const TOKEN_KEY = 'tend.token';
let token = null;

// The token comes once in the page's URL (?token=...): it is kept for this
// tab only and taken out of the address bar.
export function takeToken() {
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  token = sessionStorage.getItem(TOKEN_KEY);
  return token;
}

export class ApiError extends Error {}

const DENIED = 'Access denied: open the URL that `tend dashboard` prints (it carries the access token).';

function headers(extra) {
  return Object.assign({ Authorization: `Bearer ${token || ''}` }, extra);
}

let nextId = 1;

// Calls one method; resolves to its result, rejects with an ApiError in words.
export async function rpc(method, params) {
  const request = { jsonrpc: '2.0', id: nextId++, method };
  if (params !== undefined) request.params = params;
  let response;
  try {
    response = await fetch('/rpc', {
      method: 'POST',
      headers: headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify(request),
    });
  } catch (e) {
    throw new ApiError(`${method}: the daemon does not answer (${e.message})`);
  }
  if (response.status === 401) throw new ApiError(DENIED);
  if (!response.ok) throw new ApiError(`${method}: HTTP ${response.status}`);
  const answer = await response.json();
  if (answer.error) {
    const data = answer.error.data;
    const detail = data === undefined ? '' : ` — ${typeof data === 'string' ? data : JSON.stringify(data)}`;
    throw new ApiError(`${method}: ${answer.error.message}${detail}`);
  }
  return answer.result;
}

// One "event: ...\ndata: ...\nid: ..." block, or null for a comment.
function parseBlock(block) {
  let event = 'message';
  let id = null;
  const data = [];
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (!data.length) return null;
  const text = data.join('\n');
  try {
    return { event, id, data: JSON.parse(text) };
  } catch {
    return { event, id, data: text };
  }
}

// Every open stream, closed when the page goes away: a stream left open
// would hold one of the browser's few connections to the daemon.
const open = new Set();
addEventListener('pagehide', () => {
  for (const s of [...open]) s.close();
});

// Follows a stream: onEvent({event, id, data}) for each event, onOpen()
// each time the daemon has answered and the stream is live. With resume
// (a query parameter name, e.g. "after"), a broken stream is opened again
// from the last id seen, a second later. Returns {close()}.
export function stream(path, onEvent, { onError, onOpen, resume } = {}) {
  let closed = false;
  let aborter = null;
  let lastId = null;
  async function follow() {
    while (!closed) {
      aborter = new AbortController();
      let url = path;
      if (resume && lastId !== null) url += `${url.includes('?') ? '&' : '?'}${resume}=${lastId}`;
      try {
        const response = await fetch(url, { headers: headers(), signal: aborter.signal });
        if (response.status === 401) throw new ApiError(DENIED);
        if (!response.ok) throw new ApiError(`${path}: HTTP ${response.status}`);
        if (onOpen) onOpen();
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const event = parseBlock(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
            if (!event) continue;
            if (event.id !== null) lastId = event.id;
            onEvent(event);
          }
        }
      } catch (e) {
        if (closed) return;
        if (onError) onError(e);
        if (e instanceof ApiError) return;
      }
      if (!resume || closed) return;
      await new Promise((done) => setTimeout(done, 1000));
    }
  }
  follow();
  const handle = {
    close() {
      closed = true;
      open.delete(handle);
      if (aborter) aborter.abort();
    },
  };
  open.add(handle);
  return handle;
}
