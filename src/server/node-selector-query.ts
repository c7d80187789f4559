// The node selector in a query string (`GET /admin/nodes?tag=web&os=ubuntu&attr=role=db`): the
// same terms as the CLI's `--target`, read into the same selector as a job's `targets`.

import { isSelectorTerm, parseNodeSelector, selectorJsonFromTerms, type NodeSelector, type SelectorTerm } from '../wire/node-selector.js';
import { badRequest } from './errors.js';

/** The selector terms that may be repeated: each adds one more tag or attribute. */
export const REPEATABLE_SELECTOR_TERMS: readonly SelectorTerm[] = ['tag', 'any_tag', 'attr'];

/** The selector the query's selector terms make, or undefined when it has none; other parameters are left alone. */
export function readNodeSelectorQuery(query: Record<string, unknown>): NodeSelector | undefined {
  const terms: Array<[SelectorTerm, string]> = [];
  for (const [key, value] of Object.entries(query)) {
    if (!isSelectorTerm(key)) continue;
    for (const text of [value].flat()) {
      if (typeof text !== 'string') throw badRequest(`${key} must be text`);
      terms.push([key, text]);
    }
  }
  const json = selectorJsonFromTerms(terms);
  if (!json.ok) throw badRequest(json.message);
  if (json.value === undefined) return undefined;
  const selector = parseNodeSelector(json.value, 'node selector');
  if (!selector.ok) throw badRequest(selector.message);
  return selector.value;
}
