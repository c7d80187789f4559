// The tick object that src/server/tick-object-shape.ts keeps alive. In a real Node.js process with
// V8's own view of `process.nextTick`'s feedback: after full garbage collections while no tick is
// alive, the literal that builds tick objects stays monomorphic with the module loaded, and turns
// megamorphic without it, the condition the module guards against (measured in docs/benchmarks.md,
// eighth session).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { keptTickObject } from '../src/server/tick-object-shape.js';

const MODULE_URL = new URL('../src/server/tick-object-shape.js', import.meta.url).href;

/**
 * Runs ticks, collects all garbage three times with no tick alive, runs ticks again, then counts
 * the feedback slots of `process.nextTick` that V8 reports as defining literal properties, and how
 * many of them are megamorphic.
 */
function literalFeedbackAfterCollections(withModule: boolean): { slots: number; megamorphic: number } {
  const script = `
    ${withModule ? `import ${JSON.stringify(MODULE_URL)};` : ''}
    const tick = () => new Promise((resolve) => process.nextTick(resolve));
    for (let i = 0; i < 200; i++) await tick();
    for (let i = 0; i < 3; i++) {
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (let i = 0; i < 200; i++) await tick();
    %DebugPrint(process.nextTick);
  `;
  const output = execFileSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const slots = output.split('\n').filter((line) => /slot #\d+ DefineKeyedOwnPropertyInLiteral/.test(line));
  return { slots: slots.length, megamorphic: slots.filter((line) => line.includes('MEGAMORPHIC')).length };
}

describe('the tick object kept alive', () => {
  it('is one of the objects process.nextTick builds', async () => {
    await new Promise((resolve) => process.nextTick(resolve));
    const kept = keptTickObject();
    assert.ok(kept, 'no tick object kept');
    assert.equal(typeof (kept as { callback?: unknown }).callback, 'function');
    assert.ok(
      Object.getOwnPropertySymbols(kept).some((symbol) => symbol.description === 'async_id_symbol'),
      'the kept object carries no async id: Node.js no longer hands the tick object to the callback',
    );
  });

  it('keeps the literal behind process.nextTick monomorphic through full collections', () => {
    const without = literalFeedbackAfterCollections(false);
    assert.ok(without.slots >= 4, `V8 reported ${without.slots} literal slots for process.nextTick: its feedback is printed differently`);
    assert.ok(
      without.megamorphic > 0,
      'without the module the literal stayed monomorphic: this Node.js keeps the map by itself, and tick-object-shape.ts may be unneeded',
    );
    const withModule = literalFeedbackAfterCollections(true);
    assert.equal(withModule.slots, without.slots);
    assert.equal(withModule.megamorphic, 0);
  });

  it('is loaded by the server executable before anything else', () => {
    const main = readFileSync(new URL('../src/server/main.js', import.meta.url), 'utf8');
    const firstImport = main.split('\n').find((line) => line.startsWith('import '));
    assert.equal(firstImport, "import './tick-object-shape.js';");
  });
});
