// One job: its facts, its progress, and its nodes page by page, live while it is active.
import { api, query } from '../widgets/api.js';
import { el, message, replaceChildren } from '../widgets/dom.js';
import { STATUSES, countChips, isActive, progressBar, progressText } from '../widgets/progress.js';
import { formatTime, timeCell } from '../widgets/time.js';
import { isShown, keepLive, showError, view } from '../widgets/view.js';

const NODE_PAGE_SIZE = 50;
/** What a rerun may pick, and what it picks unless told otherwise (the server's default). */
const RERUN_CHOICES = ['failed', 'timed_out', 'expired', 'cancelled', 'success'];
const RERUN_DEFAULT = ['failed', 'timed_out', 'expired'];
/** A node's task that a cancel can still reach. */
const CANCELLABLE = ['queued', 'pending', 'running'];

export function showJob(id, shownGeneration) {
  const state = { status: '', search: '', cursors: [undefined], openOutputs: new Set() };
  const heading = el('h1', {}, 'Job ', el('span', { class: 'mono' }, id));
  const live = el('span', { class: 'live', id: 'live' });
  const cancelButton = el('button', { type: 'button', class: 'danger', id: 'cancel-job' }, 'Cancel job');
  const rerunToggle = el('button', { type: 'button', class: 'secondary', id: 'rerun-job' }, 'Rerun…');
  const rerunChoices = RERUN_CHOICES.map((status) =>
    el(
      'label',
      { class: 'choice' },
      el('input', { type: 'checkbox', name: 'rerun-status', value: status, checked: RERUN_DEFAULT.includes(status) }),
      ` ${status}`,
    ),
  );
  const rerunConfirm = el('button', { type: 'button', id: 'rerun-confirm' }, 'Create the rerun job');
  const rerunPanel = el(
    'div',
    { class: 'card', id: 'rerun-panel', hidden: true },
    el('h2', {}, 'Rerun'),
    el('p', { class: 'muted' }, 'A new job with the same task, for exactly the nodes in these statuses, in a window starting now:'),
    el('div', { class: 'toolbar' }, rerunChoices),
    el('div', { class: 'toolbar' }, rerunConfirm),
  );
  const stoppedNote = el('div', { id: 'stopped' });
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
    el('div', { class: 'toolbar' }, heading, live, el('span', { class: 'spacer' }), rerunToggle, cancelButton),
    feedback,
    rerunPanel,
    stoppedNote,
    el('div', { class: 'card' }, facts, el('h2', {}, 'Spec'), spec),
    el('div', { class: 'card' }, el('h2', {}, 'Progress'), summary),
    el('h2', {}, 'Nodes'),
    el('div', { class: 'toolbar' }, statusSelect, searchInput),
    el(
      'table',
      { id: 'nodes' },
      el('thead', {}, el('tr', {}, ['Node', 'Status', 'Updated', 'Exit code', 'Reason', 'Output', ''].map((h) => el('th', {}, h)))),
      nodeBody,
    ),
    el('div', { class: 'toolbar' }, previous, next, pageInfo),
  );

  const drawSummary = (job) => {
    const counts = job.summary;
    replaceChildren(
      summary,
      progressBar(counts, job.node_count),
      el('p', { id: 'done-count' }, progressText(counts, job.node_count)),
      countChips(counts),
    );
    cancelButton.disabled = !isActive(counts);
    live.textContent = isActive(counts) ? '● live' : '';
    // Why the server stopped handing the job out (max_errors reached).
    replaceChildren(
      stoppedNote,
      job.stopped ? el('p', { class: 'error', role: 'status' }, `Stopped ${formatTime(job.stopped.at)}: ${job.stopped.reason}`) : null,
    );
    if (job.name) heading.replaceChildren(document.createTextNode(`${job.name} `), el('span', { class: 'mono muted' }, id));
  };

  const drawFacts = (job) => {
    const task = job.task;
    replaceChildren(
      facts,
      [
        job.name ? ['Name', job.name] : null,
        job.rerun_of ? ['Rerun of', el('a', { href: `#/jobs/${job.rerun_of}`, class: 'mono', id: 'rerun-of' }, job.rerun_of)] : null,
        ['Provider', task.provider],
        ['Created', formatTime(job.created_at)],
        ['Created by', job.created_by ?? 'unknown'],
        ...(job.cancelled_by ? [['Cancelled by', job.cancelled_by]] : []),
        ['Window start', formatTime(task.window_start)],
        ['Window end', formatTime(task.window_end)],
        ['Timeout', task.timeout ?? 'none'],
        ['Nodes', String(job.node_count) + (job.never_checked_in ? ` (${job.never_checked_in} never checked in)` : '')],
        job.max_concurrency !== undefined ? ['Max concurrency', String(job.max_concurrency)] : null,
        job.max_errors !== undefined ? ['Max errors', String(job.max_errors)] : null,
      ]
        .filter((fact) => fact !== null)
        .map(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]),
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
      answer.statuses.length === 0 ? el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No nodes match.')) : null,
      answer.statuses.map((status) => nodeRow(status, state.openOutputs, cancelNode)),
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
  const cancelled = (answer) =>
    `Cancelled ${answer.cancelled} task(s) that had not started` +
    (answer.stopping ? `; asked ${answer.stopping} node(s) that have it to stop.` : '.');
  cancelButton.addEventListener('click', async () => {
    if (!window.confirm('Cancel every task of this job that no node has picked up yet, and ask the nodes running it to stop?')) return;
    try {
      const answer = await api(`/admin/jobs/${id}/cancel`, { method: 'POST' });
      replaceChildren(feedback, message(cancelled(answer)));
      await refresh();
    } catch (error) {
      replaceChildren(feedback, message(error.message, 'error'));
    }
  });
  async function cancelNode(node) {
    if (!window.confirm(`Cancel the task of ${node} in this job?`)) return;
    try {
      const answer = await api(`/admin/jobs/${id}/cancel${query({ node })}`, { method: 'POST' });
      replaceChildren(feedback, message(`${node}: ${cancelled(answer)}`));
      await refresh();
    } catch (error) {
      replaceChildren(feedback, message(error.message, 'error'));
    }
  }
  rerunToggle.addEventListener('click', () => {
    rerunPanel.hidden = !rerunPanel.hidden;
  });
  rerunConfirm.addEventListener('click', async () => {
    const statuses = [...rerunPanel.querySelectorAll('input[name="rerun-status"]:checked')].map((input) => input.value);
    if (statuses.length === 0) {
      replaceChildren(feedback, message('Choose at least one status to rerun.', 'error'));
      return;
    }
    if (!window.confirm(`Create a new job for the nodes of this job that are ${statuses.join(', ')}?`)) return;
    try {
      const answer = await api(`/admin/jobs/${id}/rerun`, { method: 'POST', json: { statuses } });
      window.location.hash = `#/jobs/${answer.id}`;
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

function nodeRow(status, openOutputs, cancelNode) {
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
    el('td', { 'data-label': 'Exit code' }, result ? String(result.exit_code) : ''),
    el('td', { 'data-label': 'Reason' }, result?.reason ?? ''),
    el('td', { 'data-label': 'Output' }, output),
    el(
      'td',
      {},
      CANCELLABLE.includes(status.status)
        ? el('button', { type: 'button', class: 'link cancel-node', onclick: () => cancelNode(status.node_name) }, 'Cancel')
        : null,
    ),
  );
}
