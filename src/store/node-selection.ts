// What both drivers do alike with node facts and selectors: how facts and a job's selector are
// kept as text, and the times a selector compares against.

import { nodeFactsJson, parseNodeFacts, type NodeFacts } from '../wire/node-facts.js';
import { nodeSelectorJson, parseNodeSelector, type NodeSelector } from '../wire/node-selector.js';
import type { StoredNodeFacts } from './store.js';

/** The earliest last check-in a node may have to match, or undefined when the selector does not ask. */
export function seenSince(selector: NodeSelector, now: Date): Date | undefined {
  return selector.seenWithin === undefined ? undefined : new Date(now.getTime() - selector.seenWithin.ms);
}

/** Facts as a driver keeps them: the wire's JSON text (checked when reported, so read back as is). */
export function factsText(facts: NodeFacts): string {
  return JSON.stringify(nodeFactsJson(facts));
}

export function storedFactsOf(text: string, reportedAt: Date): StoredNodeFacts {
  const parsed = parseNodeFacts(JSON.parse(text));
  if (!parsed.ok) throw new Error(`stored node facts do not read back: ${parsed.message}`);
  return { ...parsed.value, reportedAt };
}

/** `key=value` for each attribute: one indexable value per pair (keys never hold `=`). */
export function attributePairs(attributes: Record<string, string>): string[] {
  return Object.entries(attributes).map(([key, value]) => `${key}=${value}`);
}

export function selectorText(selector: NodeSelector): string {
  return JSON.stringify(nodeSelectorJson(selector));
}

export function selectorOf(text: string): NodeSelector {
  const parsed = parseNodeSelector(JSON.parse(text));
  if (!parsed.ok) throw new Error(`a stored selector does not read back: ${parsed.message}`);
  return parsed.value;
}
