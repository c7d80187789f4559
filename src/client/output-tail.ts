// Keeps the last bytes of a provider's output: where failures usually show, in bounded memory
// however much a provider prints.

import { keepTailOf } from '../wire/output-cut.js';

export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes no longer kept, from the start of the output. */
  private dropped = 0;

  constructor(private readonly limitBytes: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - (this.chunks[0] as Buffer).length >= this.limitBytes) {
      const first = this.chunks.shift() as Buffer;
      this.size -= first.length;
      this.dropped += first.length;
    }
  }

  /**
   * The tail as text, at most `limitBytes` of UTF-8; where the beginning was cut, it starts with
   * `… N bytes cut` and then at a line boundary (see output-cut.ts).
   */
  text(): string {
    return keepTailOf(Buffer.concat(this.chunks), this.limitBytes, this.dropped);
  }
}

/** Splits a stream into lines for the log; a line that never ends is cut at `maxLine` bytes. */
export class LineSplitter {
  private pending = '';

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxLine = 8 * 1024,
  ) {}

  push(text: string): void {
    this.pending += text;
    let newline: number;
    while ((newline = this.pending.indexOf('\n')) >= 0) {
      this.emit(this.pending.slice(0, newline).replace(/\r$/, ''));
      this.pending = this.pending.slice(newline + 1);
    }
    while (this.pending.length > this.maxLine) {
      this.emit(this.pending.slice(0, this.maxLine));
      this.pending = this.pending.slice(this.maxLine);
    }
  }

  flush(): void {
    if (this.pending !== '') this.emit(this.pending);
    this.pending = '';
  }
}
