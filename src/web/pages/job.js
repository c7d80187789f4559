// One job: its facts, its progress, and its nodes page by page, live while it is active.
import { api, query } from '../widgets/api.js';
import { el, message, replaceChildren } from '../widgets/dom.js';
import { STATUSES, countChips, done, isActive, progressBar } from '../widgets/progress.js';
import { formatTime, timeCell } from '../widgets/time.js';
import { isShown, keepLive, showError, view } from '../widgets/view.js';

const NODE_PAGE_SIZE = 50;

export function showJob(id, shownGeneration) {
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
        ['Created by', job.created_by ?? 'unknown'],
        ...(job.cancelled_by ? [['Cancelled by', job.cancelled_by]] : []),
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
    if (!isShown(shownGeneration)) return;
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
    if (!isShown(shownGeneration)) return;
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
    if (!isShown(shownGeneration)) return;
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
