// Go duration strings, as the seed's configuration and task timeouts write them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatGoDuration, parseGoDuration } from '../src/wire/go-duration.js';

describe('Go durations', () => {
  it('reads what time.ParseDuration reads', () => {
    const cases: Array<[string, number]> = [
      ['5s', 5000],
      ['5m', 300_000],
      ['5h', 18_000_000],
      ['1h30m', 5_400_000],
      ['250ms', 250],
      ['1.5s', 1500],
      ['.5s', 500],
      ['1h2m3s4ms', 3_723_004],
      ['1000us', 1],
      ['1000µs', 1],
      ['1000000ns', 1],
      ['0', 0],
      ['+5s', 5000],
      ['-1m', -60_000],
    ];
    for (const [text, ms] of cases) assert.equal(parseGoDuration(text), ms, text);
  });

  it('refuses what time.ParseDuration refuses', () => {
    for (const text of ['', '5', 's', '5 s', '5sec', '1d', '1h 30m', '--5s', '5s ', 'abc', '1..5s']) {
      assert.equal(parseGoDuration(text), undefined, JSON.stringify(text));
    }
  });

  it('writes durations back compactly', () => {
    assert.equal(formatGoDuration(5_400_000), '1h30m');
    assert.equal(formatGoDuration(250), '250ms');
    assert.equal(formatGoDuration(0), '0s');
    assert.equal(parseGoDuration(formatGoDuration(3_723_004)), 3_723_004);
  });
});
