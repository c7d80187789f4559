// How large and how deep a job's spec may be: limits every route can serve back. A spec is
// answered by the job routes and handed to nodes by their polls, so a spec accepted at creation
// must survive JSON serialization anywhere (V8's JSON.stringify recurses, and overflows the stack
// at a few thousand levels) and fit one MongoDB document (16 MiB) with room to spare.

/** Arrays and objects inside each other, the outermost counting as one level. */
export const MAX_SPEC_DEPTH = 100;
/** The spec's JSON text, in UTF-8 bytes. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/**
 * Job lists carry a spec only up to this size of JSON text; a larger one is left out, flagged by
 * `spec_omitted`, and read with the job itself. A page of 1,000 jobs stays a few MiB.
 */
export const LISTED_SPEC_MAX_BYTES = 4 * 1024;

/** True when `value` nests arrays and objects more than `maxDepth` levels. Iterative: any depth is safe. */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}
