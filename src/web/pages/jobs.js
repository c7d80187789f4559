// The jobs list, newest first, live while any job is active.
import { api, query } from '../widgets/api.js';
import { el, replaceChildren } from '../widgets/dom.js';
import { countChips, isActive, progressBar, progressText } from '../widgets/progress.js';
import { timeCell } from '../widgets/time.js';
import { isShown, keepLive, showError, view } from '../widgets/view.js';

const JOB_PAGE_SIZE = 25;

export function showJobs(shownGeneration) {
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
      el('thead', {}, el('tr', {}, ['Created', 'Job', 'By', 'Provider', 'Nodes', 'Progress', 'Window ends'].map((h) => el('th', {}, h)))),
      body,
    ),
    el('div', { class: 'toolbar' }, newer, older),
  );

  const load = async () => {
    const cursor = cursors[cursors.length - 1];
    const answer = await api(`/admin/jobs${query({ limit: JOB_PAGE_SIZE, cursor })}`);
    if (!isShown(shownGeneration)) return;
    replaceChildren(
      body,
      answer.jobs.length === 0 ? el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No jobs yet.')) : null,
      answer.jobs.map((job) =>
        el(
          'tr',
          { 'data-job-id': job.id },
          timeCell(job.created_at),
          el(
            'td',
            {},
            job.name ? el('a', { href: `#/jobs/${job.id}`, class: 'job-name' }, job.name) : null,
            el('a', { href: `#/jobs/${job.id}`, class: job.name ? 'mono muted job-id' : 'mono job-id' }, job.id),
            job.rerun_of ? el('span', { class: 'muted' }, ' rerun') : null,
          ),
          // The admin key's name that created it (ADMIN_API_KEY's is "admin"); empty when unknown.
          el('td', { class: 'created-by' }, job.created_by ?? ''),
          el('td', {}, job.task.provider),
          el('td', {}, String(job.node_count)),
          el(
            'td',
            {},
            progressBar(job.summary, job.node_count),
            el('span', { class: 'muted' }, progressText(job.summary, job.node_count)),
            countChips(job.summary),
            job.stopped ? el('div', { class: 'error stopped' }, `Stopped: ${job.stopped.reason}`) : null,
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
