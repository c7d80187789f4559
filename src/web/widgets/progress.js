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

export function isActive(counts) {
  return ACTIVE.some((status) => counts[status] > 0);
}

/**
 * How far a job got, in words that do not call cancelled or expired tasks "done":
 * "2 of 2 nodes done", "0 of 10000 nodes ran: 10000 cancelled", "7 of 10 nodes done, 3 to go".
 * Done means the node finished its task (success, failed or timed out).
 */
export function progressText(counts, total) {
  const ran = (counts.success ?? 0) + (counts.failed ?? 0) + (counts.timed_out ?? 0);
  const active = ACTIVE.reduce((sum, status) => sum + (counts[status] ?? 0), 0);
  const never = ['cancelled', 'expired'].filter((status) => counts[status] > 0).map((status) => `${counts[status]} ${status}`);
  if (never.length === 0) return `${ran} of ${total} nodes done${active > 0 ? `, ${active} to go` : ''}`;
  return `${ran} of ${total} nodes ran: ${never.join(', ')}${active > 0 ? `, ${active} to go` : ''}`;
}
