// Task counts: the progress bar, the status chips and what counts as done.
import { el } from './dom.js';

export const STATUSES = ['queued', 'pending', 'running', 'success', 'failed', 'timed_out', 'expired', 'cancelled'];
export const ACTIVE = ['queued', 'pending', 'running'];

export function progressBar(counts, total) {
  const bar = el('div', { class: 'bar', role: 'img', 'aria-label': describeCounts(counts) });
  for (const status of ['success', 'failed', 'timed_out', 'running', 'pending', 'expired', 'cancelled', 'queued']) {
    if (!counts[status]) continue;
    const part = el('span', { class: `s-${status}`, title: `${status}: ${counts[status]}` });
    // CSSOM, not a style attribute: the Content-Security-Policy allows no inline styles.
    part.style.width = `${(100 * counts[status]) / Math.max(total, 1)}%`;
    bar.append(part);
  }
  return bar;
}

export function countChips(counts) {
  return el(
    'div',
    { class: 'counts' },
    STATUSES.filter((status) => counts[status] > 0).map((status) =>
      el('span', { class: `chip s-${status}`, 'data-status': status }, el('span', {}, `${status} ${counts[status]}`)),
    ),
  );
}

export function describeCounts(counts) {
  return STATUSES.filter((status) => counts[status] > 0)
    .map((status) => `${status} ${counts[status]}`)
    .join(', ');
}

export function done(counts) {
  return STATUSES.reduce((sum, status) => sum + (ACTIVE.includes(status) ? 0 : counts[status]), 0);
}

export function isActive(counts) {
  return ACTIVE.some((status) => counts[status] > 0);
}
