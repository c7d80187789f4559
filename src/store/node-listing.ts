// The node listing's cursor and merge, shared by the drivers: nodes come in (org, name) order
// from two sources (the tasks that target them, the check-ins they made) and are merged a page at
// a time.

import { isValidNodePart } from '../wire/names.js';
import { InvalidCursorError } from './store.js';

export type NodePair = [org: string, name: string];

/** A node cursor is the last node of the previous page, `org/name`; neither part holds a `/`. */
export function parseNodeCursor(cursor: string): NodePair {
  const [org, name, ...rest] = cursor.split('/');
  if (org === undefined || name === undefined || rest.length > 0 || !isValidNodePart(org) || !isValidNodePart(name)) {
    throw new InvalidCursorError();
  }
  return [org, name];
}

export function nodeCursorOf([org, name]: NodePair): string {
  return `${org}/${name}`;
}

/** Merges two lists sorted by (org, name) into one without duplicates, at most `limit` long. */
export function mergeSortedNodes(left: NodePair[], right: NodePair[], limit: number): NodePair[] {
  const merged: NodePair[] = [];
  let i = 0;
  let j = 0;
  // Node names are ASCII (see names.ts), so JavaScript's order is the databases' binary order.
  const compare = (x: NodePair, y: NodePair) =>
    x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0;
  while (merged.length < limit && (i < left.length || j < right.length)) {
    const x = left[i];
    const y = right[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compare(x, y);
    if (order <= 0) i++;
    if (order >= 0) j++;
    merged.push((order <= 0 ? x : y) as NodePair);
  }
  return merged;
}
