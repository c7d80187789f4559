// A provider's output is kept as its tail, in bounded space. Where the beginning was cut, the kept
// text says so on its first line, `… 1,234,567 bytes cut`, and starts at a line boundary, so that
// nobody reads a partial line as the first thing the provider printed. Shared by the client (which
// keeps the tail while the provider runs) and the server (which keeps the tail of what it is sent).

/** The first line of a cut output; `bytes` counts everything left out, the partial line included. */
export function cutMarker(bytes: number): string {
  return `… ${bytes.toLocaleString('en-US')} bytes cut\n`;
}

const MARKER = /^… [\d,]+ bytes cut\n/;
/** Room for the marker of any cut up to 10^15 bytes. */
const MARKER_ROOM = Buffer.byteLength(cutMarker(1e15));

/**
 * The last part of `bytes` that fits `maxBytes` together with the marker, starting after a line
 * break (or, when the kept part holds none, on a whole character), as text. `alreadyCut` bytes were
 * left out before these (the text already carried a marker saying so, which is replaced).
 */
export function keepTailOf(bytes: Buffer, maxBytes: number, alreadyCut = 0): string {
  if (bytes.length <= maxBytes && alreadyCut === 0) return bytes.toString('utf8');
  let start = Math.max(0, bytes.length - (maxBytes - MARKER_ROOM));
  if (start > 0 || alreadyCut > 0) {
    // From the end of the line cut through (which may end just before `start`).
    const newline = bytes.indexOf(0x0a, Math.max(0, start - 1));
    if (newline >= 0 && newline + 1 < bytes.length) start = newline + 1;
    else while (start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80) start++;
  }
  const cut = alreadyCut + start;
  return `${cut > 0 ? cutMarker(cut) : ''}${bytes.subarray(start).toString('utf8')}`;
}

/** The tail of a text that fits `maxBytes` of UTF-8, marked where cut; a marker already in it is counted on. */
export function keepTail(text: string, maxBytes: number): string {
  const marker = MARKER.exec(text);
  const earlier = marker ? Number(marker[0].replace(/[^\d]/g, '')) : 0;
  const bytes = Buffer.from(marker ? text.slice(marker[0].length) : text, 'utf8');
  if (bytes.length + (marker ? Buffer.byteLength(marker[0]) : 0) <= maxBytes) return text;
  return keepTailOf(bytes, maxBytes, earlier);
}
