// Times as the page shows them.
import { el } from './dom.js';

export function formatTime(text) {
  if (!text) return '';
  const date = new Date(text);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function ago(text) {
  if (!text) return 'never';
  const seconds = Math.round((Date.now() - new Date(text).getTime()) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

export function timeCell(text) {
  return el('td', { title: text ?? '' }, text ? el('time', { datetime: text }, formatTime(text)) : '');
}

/** "90s", "10m", "1h30m" in milliseconds, or undefined. */
export function parseDuration(text) {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!match || text.trim() === '') return undefined;
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  return ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}
