// The operators' page: plain JavaScript, no framework. Everything shown is built with DOM calls and
// textContent, never from HTML strings, so a node name or a provider's output can never become markup.
'use strict';

const KEY_STORAGE = 'foodtruck.adminKey';
const STATUSES = ['queued', 'pending', 'running', 'success', 'failed', 'expired', 'cancelled'];
const ACTIVE = ['queued', 'pending', 'running'];
const LIVE_INTERVAL_MS = 2000;
const NODE_PAGE_SIZE = 50;
const JOB_PAGE_SIZE = 25;
const NODE_PAGE_LIMIT = 100;
/** A node that has not polled for this long, with work waiting for it, is flagged as silent. */
const SILENT_AFTER_MS = 10 * 60 * 1000;

const signInSection = document.getElementById('sign-in');
const signInForm = document.getElementById('sign-in-form');
const signInError = document.getElementById('sign-in-error');
const keyInput = document.getElementById('admin-key');
const nav = document.getElementById('nav');
const view = document.getElementById('view');

/** Bumped on every navigation, so a stale refresh never draws over the page shown now. */
let generation = 0;
let liveTimer;

// ---- building DOM ----

/** `el('td', { class: 'x' }, 'text', child)`: attributes by setAttribute, children as text or nodes. */
function el(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === false || value === null) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function replaceChildren(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

function progressBar(counts, total) {
  const bar = el('div', { class: 'bar', role: 'img', 'aria-label': describeCounts(counts) });
  for (const status of ['success', 'failed', 'running', 'pending', 'expired', 'cancelled', 'queued']) {
    if (!counts[status]) continue;
    const part = el('span', { class: `s-${status}`, title: `${status}: ${counts[status]}` });
    // CSSOM, not a style attribute: the Content-Security-Policy allows no inline styles.
    part.style.width = `${(100 * counts[status]) / Math.max(total, 1)}%`;
    bar.append(part);
  }
  return bar;
}

function countChips(counts) {
  return el(
    'div',
    { class: 'counts' },
    STATUSES.filter((status) => counts[status] > 0).map((status) =>
      el('span', { class: `chip s-${status}`, 'data-status': status }, el('span', {}, `${status} ${counts[status]}`)),
    ),
  );
}

function describeCounts(counts) {
  return STATUSES.filter((status) => counts[status] > 0)
    .map((status) => `${status} ${counts[status]}`)
    .join(', ');
}

function done(counts) {
  return STATUSES.reduce((sum, status) => sum + (ACTIVE.includes(status) ? 0 : counts[status]), 0);
}

function isActive(counts) {
  return ACTIVE.some((status) => counts[status] > 0);
}

function formatTime(text) {
  if (!text) return '';
  const date = new Date(text);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

function ago(text) {
  if (!text) return 'never';
  const seconds = Math.round((Date.now() - new Date(text).getTime()) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

function timeCell(text) {
  return el('td', { title: text ?? '' }, text ? el('time', { datetime: text }, formatTime(text)) : '');
}

function message(text, kind = 'muted') {
  return el('p', { class: kind, role: kind === 'error' ? 'alert' : undefined }, text);
}

// ---- talking to the server ----

class ApiError extends Error {
  constructor(status, text) {
    super(text);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const key = sessionStorage.getItem(KEY_STORAGE);
  const headers = { authorization: `Bearer ${key ?? ''}` };
  let body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(path, { method: options.method ?? 'GET', headers, body, cache: 'no-store' });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 401) {
    signOut('The admin key was refused. Sign in again.');
    throw new ApiError(401, 'Unauthorized');
  }
  if (!response.ok) throw new ApiError(response.status, answer.message ?? `HTTP ${response.status}`);
  return answer;
}

function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// ---- signing in and out ----

function showSignIn(errorText) {
  nav.hidden = true;
  view.hidden = true;
  signInSection.hidden = false;
  signInError.hidden = !errorText;
  signInError.textContent = errorText ?? '';
  keyInput.focus();
}

function signOut(errorText) {
  sessionStorage.removeItem(KEY_STORAGE);
  stopLive();
  generation++;
  showSignIn(errorText);
}

signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) return;
  // The key is tried on a cheap admin route before it is kept.
  const response = await fetch('/admin/jobs?limit=1', { headers: { authorization: `Bearer ${key}` }, cache: 'no-store' }).catch(
    () => undefined,
  );
  if (!response) return showSignIn('The server could not be reached.');
  if (response.status === 401) return showSignIn('That key was refused.');
  if (!response.ok) return showSignIn(`The server answered ${response.status}.`);
  sessionStorage.setItem(KEY_STORAGE, key);
  keyInput.value = '';
  route();
});

document.getElementById('sign-out').addEventListener('click', () => signOut());

// ---- routing ----

function stopLive() {
  clearTimeout(liveTimer);
  liveTimer = undefined;
}

function route() {
  stopLive();
  generation++;
  if (!sessionStorage.getItem(KEY_STORAGE)) return showSignIn();
  signInSection.hidden = true;
  nav.hidden = false;
  view.hidden = false;
  const hash = location.hash.replace(/^#/, '') || '/';
  const jobMatch = /^\/jobs\/([0-9a-f]{24})$/.exec(hash);
  if (jobMatch) return showJob(jobMatch[1], generation);
  if (hash === '/new') return showNewJob();
  if (hash === '/nodes') return showNodes(generation);
  return showJobs(generation);
}

window.addEventListener('hashchange', route);

/** Runs `refresh` once after a pause, unless the page shown has changed meanwhile; `refresh` calls it again while there is something to follow. */
function keepLive(shownGeneration, refresh) {
  stopLive();
  liveTimer = setTimeout(async () => {
    if (shownGeneration !== generation) return;
    await refresh().catch(() => undefined);
  }, LIVE_INTERVAL_MS);
}

function showError(error) {
  if (error instanceof ApiError && error.status === 401) return;
  replaceChildren(view, message(error.message, 'error'));
}

// ---- the jobs list ----

function showJobs(shownGeneration) {
  const cursors = [undefined];
  const body = el('tbody');
  const older = el('button', { type: 'button', class: 'secondary', id: 'older-jobs' }, 'Older');
  const newer = el('button', { type: 'button', class: 'secondary', id: 'newer-jobs' }, 'Newer');
  const live = el('span', { class: 'live' });
  replaceChildren(
    view,
    el('div', { class: 'toolbar' }, el('h1', {}, 'Jobs'), live, el('span', { class: 'spacer' }), el('a', { href: '#/new' }, 'New job')),
    el(
      'table',
      { id: 'jobs' },
      el('thead', {}, el('tr', {}, ['Created', 'Job', 'Provider', 'Nodes', 'Progress', 'Window ends'].map((h) => el('th', {}, h)))),
      body,
    ),
    el('div', { class: 'toolbar' }, newer, older),
  );

  const load = async () => {
    const cursor = cursors[cursors.length - 1];
    const answer = await api(`/admin/jobs${query({ limit: JOB_PAGE_SIZE, cursor })}`);
    if (shownGeneration !== generation) return;
    replaceChildren(
      body,
      answer.jobs.length === 0 ? el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No jobs yet.')) : null,
      answer.jobs.map((job) =>
        el(
          'tr',
          { 'data-job-id': job.id },
          timeCell(job.created_at),
          el('td', {}, el('a', { href: `#/jobs/${job.id}`, class: 'mono' }, job.id)),
          el('td', {}, job.task.provider),
          el('td', {}, String(job.node_count)),
          el(
            'td',
            {},
            progressBar(job.summary, job.node_count),
            el('span', { class: 'muted' }, `${done(job.summary)} of ${job.node_count} done`),
            countChips(job.summary),
          ),
          timeCell(job.task.window_end),
        ),
      ),
    );
    older.disabled = !answer.next_cursor;
    older.onclick = () => {
      cursors.push(answer.next_cursor);
      load().catch(showError);
    };
    newer.disabled = cursors.length === 1;
    newer.onclick = () => {
      cursors.pop();
      load().catch(showError);
    };
    const anyActive = answer.jobs.some((job) => isActive(job.summary));
    live.textContent = anyActive ? '● live' : '';
    if (anyActive) keepLive(shownGeneration, load);
  };
  load().catch(showError);
}

// ---- one job ----

function showJob(id, shownGeneration) {
  const state = { status: '', search: '', cursors: [undefined], openOutputs: new Set() };
  const heading = el('h1', {}, 'Job ', el('span', { class: 'mono' }, id));
  const live = el('span', { class: 'live', id: 'live' });
  const cancelButton = el('button', { type: 'button', class: 'danger', id: 'cancel-job' }, 'Cancel job');
  const facts = el('dl', { class: 'facts' });
  const spec = el('pre', { id: 'spec' });
  const summary = el('div', { id: 'summary' });
  const feedback = el('div');
  const statusSelect = el(
    'select',
    { id: 'status-filter', 'aria-label': 'Status' },
    el('option', { value: '' }, 'All statuses'),
    STATUSES.map((status) => el('option', { value: status }, status)),
  );
  const searchInput = el('input', { id: 'node-search', type: 'search', placeholder: 'Search nodes (org/name)', 'aria-label': 'Search nodes' });
  const nodeBody = el('tbody');
  const previous = el('button', { type: 'button', class: 'secondary', id: 'previous-nodes' }, 'Previous');
  const next = el('button', { type: 'button', class: 'secondary', id: 'next-nodes' }, 'Next');
  const pageInfo = el('span', { class: 'muted' });

  replaceChildren(
    view,
    el('div', { class: 'toolbar' }, heading, live, el('span', { class: 'spacer' }), cancelButton),
    feedback,
    el('div', { class: 'card' }, facts, el('h2', {}, 'Spec'), spec),
    el('div', { class: 'card' }, el('h2', {}, 'Progress'), summary),
    el('h2', {}, 'Nodes'),
    el('div', { class: 'toolbar' }, statusSelect, searchInput),
    el(
      'table',
      { id: 'nodes' },
      el('thead', {}, el('tr', {}, ['Node', 'Status', 'Updated', 'Exit code', 'Reason', 'Output'].map((h) => el('th', {}, h)))),
      nodeBody,
    ),
    el('div', { class: 'toolbar' }, previous, next, pageInfo),
  );

  const drawSummary = (job) => {
    const counts = job.summary;
    replaceChildren(
      summary,
      progressBar(counts, job.node_count),
      el('p', { id: 'done-count' }, `${done(counts)} of ${job.node_count} nodes done`),
      countChips(counts),
    );
    cancelButton.disabled = counts.queued === 0;
    live.textContent = isActive(counts) ? '● live' : '';
  };

  const drawFacts = (job) => {
    const task = job.task;
    replaceChildren(
      facts,
      [
        ['Provider', task.provider],
        ['Created', formatTime(job.created_at)],
        ['Window start', formatTime(task.window_start)],
        ['Window end', formatTime(task.window_end)],
        ['Timeout', task.timeout ?? 'none'],
        ['Nodes', String(job.node_count)],
      ].map(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]),
    );
    spec.textContent = JSON.stringify(task.spec, null, 2);
  };

  // The node table reads one page of statuses, and the counts come from the job's summary: neither
  // reads the node list, so a 100,000-node job costs what one page costs.
  const loadNodes = async () => {
    const cursor = state.cursors[state.cursors.length - 1];
    const answer = await api(
      `/admin/jobs/${id}/statuses${query({ status: state.status, node: state.search, limit: NODE_PAGE_SIZE, cursor })}`,
    );
    if (shownGeneration !== generation) return;
    replaceChildren(
      nodeBody,
      answer.statuses.length === 0 ? el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No nodes match.')) : null,
      answer.statuses.map((status) => nodeRow(status, state.openOutputs)),
    );
    previous.disabled = state.cursors.length === 1;
    next.disabled = !answer.next_cursor;
    next.onclick = () => {
      state.cursors.push(answer.next_cursor);
      loadNodes().catch(showError);
    };
    previous.onclick = () => {
      state.cursors.pop();
      loadNodes().catch(showError);
    };
    pageInfo.textContent = `page ${state.cursors.length}`;
  };

  const refresh = async () => {
    const [job] = await Promise.all([api(`/admin/jobs/${id}/summary`), loadNodes()]);
    if (shownGeneration !== generation) return;
    drawSummary(job);
    if (isActive(job.summary)) keepLive(shownGeneration, refresh);
  };

  const restartNodes = () => {
    state.cursors = [undefined];
    loadNodes().catch(showError);
  };
  statusSelect.addEventListener('change', () => {
    state.status = statusSelect.value;
    restartNodes();
  });
  let searchTimer;
  searchInput.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.search = searchInput.value.trim();
      restartNodes();
    }, 250);
  });
  cancelButton.addEventListener('click', async () => {
    if (!window.confirm('Cancel every task of this job that no node has picked up yet?')) return;
    try {
      const answer = await api(`/admin/jobs/${id}/cancel`, { method: 'POST' });
      replaceChildren(feedback, message(`Cancelled ${answer.cancelled} task(s) that had not started.`));
      await refresh();
    } catch (error) {
      replaceChildren(feedback, message(error.message, 'error'));
    }
  });

  (async () => {
    const [job] = await Promise.all([api(`/admin/jobs/${id}/summary`), loadNodes()]);
    if (shownGeneration !== generation) return;
    drawFacts(job);
    drawSummary(job);
    if (isActive(job.summary)) keepLive(shownGeneration, refresh);
  })().catch(showError);
}

function nodeRow(status, openOutputs) {
  const result = status.result;
  let output = '';
  if (result?.output) {
    const details = el('details', { open: openOutputs.has(status.node_name) }, el('summary', {}, 'show'), el('pre', {}, result.output));
    // Kept open across live refreshes.
    details.addEventListener('toggle', () => {
      if (details.open) openOutputs.add(status.node_name);
      else openOutputs.delete(status.node_name);
    });
    output = details;
  }
  return el(
    'tr',
    { 'data-node': status.node_name, 'data-status': status.status },
    el('td', { class: 'mono' }, status.node_name),
    el('td', {}, el('span', { class: `status s-${status.status}` }, status.status)),
    timeCell(status.last_updated),
    el('td', {}, result ? String(result.exit_code) : ''),
    el('td', {}, result?.reason ?? ''),
    el('td', {}, output),
  );
}

// ---- creating a job ----

/** "90s", "10m", "1h30m" in milliseconds, or undefined. */
function parseDuration(text) {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!match || text.trim() === '') return undefined;
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  return ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}

function showNewJob() {
  const provider = el('input', { id: 'provider', name: 'provider', required: true, placeholder: 'infra', spellcheck: 'false' });
  const spec = el('textarea', { id: 'spec-input', name: 'spec', spellcheck: 'false' });
  spec.value = '{\n  "url": "https://example.com/policy.tar.gz"\n}';
  const nodes = el('textarea', { id: 'nodes-input', name: 'nodes', spellcheck: 'false', placeholder: 'org/node1\norg/node2' });
  const start = el('input', { id: 'window-start', name: 'start', type: 'datetime-local' });
  const length = el('input', { id: 'window-length', name: 'length', value: '1h', spellcheck: 'false' });
  const timeout = el('input', { id: 'timeout', name: 'timeout', placeholder: 'e.g. 30m (optional)', spellcheck: 'false' });
  const feedback = el('div', { id: 'create-feedback' });
  const submit = el('button', { type: 'submit', id: 'create-job' }, 'Create job');

  const form = el(
    'form',
    { class: 'grid', id: 'new-job', autocomplete: 'off' },
    el('label', { for: 'provider' }, 'Provider'),
    el('div', {}, provider, el('p', { class: 'hint' }, 'Runs foodtruck-provider-<provider> on each node.')),
    el('label', { for: 'spec-input' }, 'Spec (JSON)'),
    el('div', {}, spec, el('p', { class: 'hint' }, 'Given to the provider on stdin.')),
    el('label', { for: 'nodes-input' }, 'Nodes'),
    el('div', {}, nodes, el('p', { class: 'hint' }, 'One org/name per line.')),
    el('label', { for: 'window-start' }, 'Window start'),
    el('div', {}, start, el('p', { class: 'hint' }, 'Empty: now.')),
    el('label', { for: 'window-length' }, 'Window length'),
    el('div', {}, length, el('p', { class: 'hint' }, 'How long nodes may pick the task up: 90s, 10m, 1h30m.')),
    el('label', { for: 'timeout' }, 'Timeout'),
    el('div', {}, timeout, el('p', { class: 'hint' }, 'The node stops the provider after this long.')),
    el('span'),
    el('div', {}, submit, feedback),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const fail = (text) => replaceChildren(feedback, message(text, 'error'));
    let specValue;
    try {
      specValue = JSON.parse(spec.value.trim() === '' ? 'null' : spec.value);
    } catch (error) {
      return fail(`The spec is not valid JSON: ${error.message}`);
    }
    const nodeList = [];
    for (const [index, line] of nodes.value.split('\n').entries()) {
      const text = line.trim();
      if (text === '' || text.startsWith('#')) continue;
      const parts = text.split('/');
      if (parts.length !== 2 || !parts[0] || !parts[1]) return fail(`Line ${index + 1} of the nodes is not org/name: ${text}`);
      nodeList.push({ org: parts[0], name: parts[1] });
    }
    const startTime = start.value ? new Date(start.value) : new Date();
    const lengthMs = parseDuration(length.value);
    if (!lengthMs) return fail('The window length must be a duration such as 90s, 10m or 1h30m.');
    const task = {
      window_start: startTime.toISOString(),
      window_end: new Date(startTime.getTime() + lengthMs).toISOString(),
      provider: provider.value.trim(),
      spec: specValue,
    };
    if (timeout.value.trim() !== '') task.timeout = timeout.value.trim();
    submit.disabled = true;
    try {
      const answer = await api('/admin/jobs', { method: 'POST', json: { task, nodes: nodeList } });
      location.hash = `#/jobs/${answer.id}`;
    } catch (error) {
      fail(error.message);
    } finally {
      submit.disabled = false;
    }
  });
  replaceChildren(view, el('h1', {}, 'New job'), el('div', { class: 'card' }, form));
  provider.focus();
}

// ---- nodes ----

function showNodes(shownGeneration) {
  const cursors = [undefined];
  const body = el('tbody');
  const previous = el('button', { type: 'button', class: 'secondary' }, 'Previous');
  const next = el('button', { type: 'button', class: 'secondary', id: 'next-node-page' }, 'Next');
  replaceChildren(
    view,
    el('h1', {}, 'Nodes'),
    el(
      'p',
      { class: 'muted' },
      'Every node a job targets or that has polled. A node with waiting tasks that has not polled for 10 minutes is marked silent.',
    ),
    el(
      'table',
      { id: 'node-list' },
      el('thead', {}, el('tr', {}, ['Node', 'Last check-in', 'Tasks'].map((h) => el('th', {}, h)))),
      body,
    ),
    el('div', { class: 'toolbar' }, previous, next),
  );
  const load = async () => {
    const answer = await api(`/admin/nodes${query({ limit: NODE_PAGE_LIMIT, cursor: cursors[cursors.length - 1] })}`);
    if (shownGeneration !== generation) return;
    replaceChildren(
      body,
      answer.nodes.length === 0 ? el('tr', {}, el('td', { colspan: 3, class: 'muted' }, 'No nodes yet.')) : null,
      answer.nodes.map((node) => {
        const waiting = node.tasks.queued > 0;
        const quiet = !node.last_check_in || Date.now() - new Date(node.last_check_in).getTime() > SILENT_AFTER_MS;
        return el(
          'tr',
          { class: waiting && quiet ? 'silent' : undefined, 'data-node': node.node_name },
          el('td', { class: 'mono' }, node.node_name),
          el('td', { title: node.last_check_in ?? 'never polled' }, ago(node.last_check_in)),
          el('td', {}, countChips(node.tasks)),
        );
      }),
    );
    previous.disabled = cursors.length === 1;
    next.disabled = !answer.next_cursor;
    next.onclick = () => {
      cursors.push(answer.next_cursor);
      load().catch(showError);
    };
    previous.onclick = () => {
      cursors.pop();
      load().catch(showError);
    };
  };
  load().catch(showError);
}

route();
