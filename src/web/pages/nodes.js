// Every node a job targets or that has polled, with its last check-in and its tasks.
import { api } from '../widgets/api.js';
import { el, message, replaceChildren } from '../widgets/dom.js';
import { countChips } from '../widgets/progress.js';
import { appendTargetTerms, factsSummary } from '../widgets/targets.js';
import { ago } from '../widgets/time.js';
import { isShown, showError, view } from '../widgets/view.js';

const NODE_PAGE_LIMIT = 100;
/** A node that has not polled for this long, with work waiting for it, is flagged as silent. */
const SILENT_AFTER_MS = 10 * 60 * 1000;

export function showNodes(shownGeneration) {
  const cursors = [undefined];
  const body = el('tbody');
  const previous = el('button', { type: 'button', class: 'secondary' }, 'Previous');
  const next = el('button', { type: 'button', class: 'secondary', id: 'next-node-page' }, 'Next');
  const searchInput = el('input', { id: 'node-search', name: 'search', type: 'search', spellcheck: 'false', placeholder: 'org/name text' });
  const neverSeen = el('input', { id: 'node-never-seen', name: 'never_seen', type: 'checkbox' });
  const seenWithin = el('input', { id: 'node-seen-within', name: 'seen_within', spellcheck: 'false', placeholder: '1h', size: 6 });
  const unfinished = el('input', { id: 'node-unfinished', name: 'unfinished', type: 'checkbox' });
  const filter = el('input', { id: 'node-filter', name: 'filter', spellcheck: 'false', placeholder: 'tag=web os=ubuntu attr=role=db' });
  const filterForm = el(
    'form',
    { class: 'toolbar', id: 'node-filter-form', autocomplete: 'off' },
    el('label', { for: 'node-search' }, 'Search'),
    searchInput,
    el('label', {}, neverSeen, ' Never seen'),
    el('label', { for: 'node-seen-within' }, 'Seen within'),
    seenWithin,
    el('label', {}, unfinished, ' Unfinished tasks'),
    el('label', { for: 'node-filter' }, 'Targets'),
    filter,
    el('button', { type: 'submit', class: 'secondary' }, 'Apply'),
  );
  const filtered = () =>
    searchInput.value.trim() !== '' || neverSeen.checked || seenWithin.value.trim() !== '' || unfinished.checked || filter.value.trim() !== '';
  const feedback = el('div', { id: 'node-filter-feedback' });
  replaceChildren(
    view,
    el('h1', {}, 'Nodes'),
    el(
      'p',
      { class: 'muted' },
      'Every node a job targets or that has polled. A node with waiting tasks that has not polled for 10 minutes is marked silent. ' +
        'Search by org/name, show nodes never seen, seen within a duration (90s, 10m, 1h) or with unfinished tasks, ' +
        'and target by what nodes reported: org, name (web-*), tag, any_tag, attr=KEY=VALUE, os, os_version, arch, seen_within. ' +
        'Every filter given must hold. Forget drops a node with no unfinished task from this list (its jobs keep its tasks); ' +
        'it comes back when it polls or a new job targets it.',
    ),
    filterForm,
    feedback,
    el(
      'table',
      { id: 'node-list' },
      el('thead', {}, el('tr', {}, ['Node', 'Last check-in', 'Tasks', 'System', 'Tags'].map((h) => el('th', {}, h)))),
      body,
    ),
    el('div', { class: 'toolbar' }, previous, next),
  );
  const load = async () => {
    const search = new URLSearchParams({ limit: String(NODE_PAGE_LIMIT) });
    const cursor = cursors[cursors.length - 1];
    if (cursor) search.set('cursor', cursor);
    if (searchInput.value.trim() !== '') search.set('search', searchInput.value.trim());
    if (neverSeen.checked) search.set('never_seen', 'true');
    if (unfinished.checked) search.set('unfinished', 'true');
    if (seenWithin.value.trim() !== '') search.append('seen_within', seenWithin.value.trim());
    appendTargetTerms(search, filter.value);
    let answer;
    try {
      answer = await api(`/admin/nodes?${search}`);
    } catch (error) {
      if (error.status !== 400) throw error;
      return replaceChildren(feedback, el('p', { class: 'error', role: 'alert' }, error.message));
    }
    if (!isShown(shownGeneration)) return;
    replaceChildren(feedback);
    replaceChildren(
      body,
      answer.nodes.length === 0
        ? el('tr', {}, el('td', { colspan: 5, class: 'muted' }, filtered() ? 'No node matches the filter.' : 'No nodes yet.'))
        : null,
      answer.nodes.map((node) => {
        const waiting = node.tasks.queued > 0;
        const unfinished = node.tasks.queued + node.tasks.pending + node.tasks.running > 0;
        const quiet = !node.last_check_in || Date.now() - new Date(node.last_check_in).getTime() > SILENT_AFTER_MS;
        return el(
          'tr',
          { class: waiting && quiet ? 'silent' : undefined, 'data-node': node.node_name },
          el(
            'td',
            { class: 'mono' },
            node.node_name,
            unfinished
              ? null
              : [' ', el('button', { type: 'button', class: 'link forget-node', onclick: () => forget(node.node_name) }, 'Forget')],
          ),
          el('td', { title: node.last_check_in ?? 'never polled' }, ago(node.last_check_in)),
          el('td', {}, countChips(node.tasks)),
          el('td', { title: node.facts?.hostname ?? 'never reported facts' }, factsSummary(node.facts)),
          el('td', { class: 'mono' }, node.facts ? node.facts.tags.join(', ') : ''),
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
  async function forget(nodeName) {
    if (!window.confirm(`Forget ${nodeName}? It leaves this list until it polls or a new job targets it; its jobs keep its tasks.`)) return;
    const [org, name] = nodeName.split('/');
    try {
      const answer = await api(`/admin/nodes/${encodeURIComponent(org)}/${encodeURIComponent(name)}`, { method: 'DELETE' });
      await load();
      replaceChildren(
        feedback,
        message(`Forgot ${answer.node_name}.` + (answer.key_kept ? ' Its key stays (foodtruck nodes key reset removes it).' : '')),
      );
    } catch (error) {
      replaceChildren(feedback, message(error.message, 'error'));
    }
  }
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    cursors.length = 1;
    load().catch(showError);
  });
  load().catch(showError);
}
