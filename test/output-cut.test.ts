// A cut output says how much was cut and starts at a line boundary, on the client and the server.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutputTail } from '../src/client/output-tail.js';
import { cutMarker, keepTail } from '../src/wire/output-cut.js';

const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}\n`).join('');

describe('output cut marker', () => {
  it('leaves an output that fits as it is', () => {
    assert.equal(keepTail('short\n', 100), 'short\n');
    const tail = new OutputTail(100);
    tail.push(Buffer.from('a\nb\n'));
    assert.equal(tail.text(), 'a\nb\n');
  });

  it('writes the number of bytes cut with thousands separators', () => {
    assert.equal(cutMarker(1234567), '… 1,234,567 bytes cut\n');
  });

  it('cuts at a line boundary and counts every byte left out, within the limit', () => {
    const text = lines(0, 1000); // "line 0\n" ... "line 999\n"
    const kept = keepTail(text, 200);
    assert.ok(Buffer.byteLength(kept) <= 200, `${Buffer.byteLength(kept)} bytes`);
    const match = /^… ([\d,]+) bytes cut\n(line \d+\n)+$/.exec(kept);
    assert.ok(match, kept);
    const body = kept.slice(kept.indexOf('\n') + 1);
    assert.ok(text.endsWith(body));
    assert.equal(Number((match[1] as string).replace(/,/g, '')), Buffer.byteLength(text) - Buffer.byteLength(body));
  });

  it('keeps counting when an output that was already cut is cut again (the server after the client)', () => {
    const text = lines(0, 1000);
    const once = keepTail(text, 400);
    const twice = keepTail(once, 200);
    const body = twice.slice(twice.indexOf('\n') + 1);
    assert.equal(Number(/^… ([\d,]+)/.exec(twice)?.[1]?.replace(/,/g, '')), Buffer.byteLength(text) - Buffer.byteLength(body));
    assert.equal(keepTail(once, 400), once, 'an output cut to fit is not cut again');
  });

  it('cuts a single long line on a whole character when there is no line boundary to start at', () => {
    const kept = keepTail('é'.repeat(500), 101);
    assert.ok(Buffer.byteLength(kept) <= 101);
    assert.match(kept, /^… [\d,]+ bytes cut\né+$/);
  });

  it('does the same on the client, however the output arrived in chunks', () => {
    const tail = new OutputTail(200);
    const text = lines(0, 1000);
    for (let i = 0; i < text.length; i += 37) tail.push(Buffer.from(text.slice(i, i + 37)));
    const kept = tail.text();
    assert.ok(Buffer.byteLength(kept) <= 200);
    const body = kept.slice(kept.indexOf('\n') + 1);
    assert.match(body, /^(line \d+\n)+$/);
    assert.ok(text.endsWith(body));
    assert.equal(Number(/^… ([\d,]+)/.exec(kept)?.[1]?.replace(/,/g, '')), Buffer.byteLength(text) - Buffer.byteLength(body));
  });
});
