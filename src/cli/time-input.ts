// Times as an operator types them: `now`, an RFC 3339 time, or `+10m` (a Go duration from a base).

import { parseGoDuration } from '../wire/go-duration.js';
import { parseRfc3339 } from '../wire/rfc3339.js';
import { UsageError } from './errors.js';

/** `--start`: `now`, `+10m` from now, or an RFC 3339 time. */
export function parseStart(text: string, now: Date): Date {
  if (text === 'now') return now;
  return parseTime(text, now, '--start');
}

/** `--end`: `+1h` from the window's start, or an RFC 3339 time. */
export function parseEnd(text: string, start: Date): Date {
  return parseTime(text, start, '--end');
}

function parseTime(text: string, base: Date, flag: string): Date {
  if (text.startsWith('+')) {
    const ms = parseGoDuration(text.slice(1));
    if (ms === undefined || ms <= 0) throw new UsageError(`${flag}: "${text}" is not a positive duration such as +10m or +1h30m`);
    return new Date(base.getTime() + ms);
  }
  const time = parseRfc3339(text);
  if (!time) throw new UsageError(`${flag}: "${text}" is neither ${flag === '--start' ? 'now, ' : ''}+DURATION nor an RFC 3339 time such as 2030-01-02T15:04:05Z`);
  return time;
}
