// Keeps one of Node's `process.nextTick` objects alive for the life of the process, so that V8
// never drops the hidden class (map) those objects share. Imported first by the server's entry
// point (main.ts), before start-up allocates.
//
// `nextTick` builds an object per callback with a literal whose computed keys V8 defines through
// feedback slots that go from monomorphic straight to megamorphic when they meet a second map.
// Tick objects live for a moment; a full garbage collection that finds none alive drops their map
// (transitions are weak), the next tick builds a new one, and the slots turn megamorphic for good.
// From then on, on Node.js 20, every tick object is built by V8's runtime instead of by optimized
// code, and Node's HTTP server makes about ten of them per request: an empty poll took 58 µs of
// CPU instead of 49.5. Start-up allocates enough for such collections, so most server processes
// ended that way (docs/benchmarks.md, eighth session). One live tick object keeps the map: the
// object holds its chain of maps back to the literal's first, and the slots stay monomorphic.
// Node.js 24 loses the map alike but builds the literal fast anyway; the object costs nothing.

import { executionAsyncResource } from 'node:async_hooks';

let kept: object | undefined;

process.nextTick(() => {
  // Inside a tick's callback, the current execution resource is the tick object itself.
  kept = executionAsyncResource();
});

/** The tick object kept alive; undefined until the first ticks have run. */
export function keptTickObject(): object | undefined {
  return kept;
}
