// Text from the server (node names, reasons, provider output) is shown on a terminal: control
// characters are made visible so that no escape sequence in it can drive the terminal.

export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\t' ? ' ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** The last non-empty line of a provider's output, cut to `width` characters. */
export function lastLine(output: string | undefined, width: number): string {
  if (!output) return '';
  const lines = output.split('\n').map((line) => line.trimEnd()).filter((line) => line !== '');
  return truncate(visible(lines[lines.length - 1] ?? ''), width);
}

export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(width - 1, 0))}…`;
}

/** "3 min ago", from an RFC 3339 time. */
export function ago(time: string | null, now: Date): string {
  if (time === null) return 'never';
  const seconds = Math.round((now.getTime() - Date.parse(time)) / 1000);
  if (seconds < 60) return `${Math.max(seconds, 0)}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86_400)}d ago`;
}
