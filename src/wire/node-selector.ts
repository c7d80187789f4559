// A node selector: which nodes a job targets (`targets` in a job body), which nodes a preview or
// a node listing shows. One JSON shape on the wire, one term syntax for query strings and the CLI
// (`tag=web`, `os=ubuntu`, `attr=role=db`), both read here.

import { parseGoDuration } from './go-duration.js';
import type { Parsed } from './job-request.js';
import { isValidNodePart } from './names.js';
import {
  MAX_ATTRIBUTE_VALUE_LENGTH,
  MAX_FACT_LENGTH,
  TAG_RULE,
  attributesProblem,
  isValidAttributeKey,
  isValidFactText,
  tagsProblem,
} from './node-facts.js';

export interface NodeSelector {
  org?: string;
  /** A glob over the node's name: `*` any run of characters, `?` one character. */
  namePattern?: string;
  /** Every one of these tags. */
  tagsAll: string[];
  /** At least one of these tags (when any are given). */
  tagsAny: string[];
  /** Each of these attributes with exactly this value. */
  attributes: Record<string, string>;
  /** Equal to the node's `os` fact or to its `platform` fact (`ubuntu` or `linux`). */
  os?: string;
  osVersion?: string;
  arch?: string;
  /** Polled (or reported facts) within this long before the selection. */
  seenWithin?: { text: string; ms: number };
}

/** The selector as the wire writes it, e.g. in a job answer's `targets`. */
export interface NodeSelectorJson {
  org?: string;
  name?: string;
  tags_all?: string[];
  tags_any?: string[];
  attributes?: Record<string, string>;
  os?: string;
  os_version?: string;
  arch?: string;
  seen_within?: string;
}

export const SELECTOR_FIELDS = ['org', 'name', 'tags_all', 'tags_any', 'attributes', 'os', 'os_version', 'arch', 'seen_within'] as const;

/** Node-name characters, and the two wildcards. */
const NAME_PATTERN = /^[A-Za-z0-9_.:@*?-]{1,255}$/;

/** Whether the selector asks about facts; a node that never reported any matches none of these. */
export function selectsByFacts(selector: NodeSelector): boolean {
  return (
    selector.tagsAll.length > 0 ||
    selector.tagsAny.length > 0 ||
    Object.keys(selector.attributes).length > 0 ||
    selector.os !== undefined ||
    selector.osVersion !== undefined ||
    selector.arch !== undefined
  );
}

/** Validates a selector object; `where` names it in messages (`targets`). */
export function parseNodeSelector(value: unknown, where = 'targets'): Parsed<NodeSelector> {
  const fail = (message: string): Parsed<NodeSelector> => ({ ok: false, message });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`${where} must be an object`);
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(SELECTOR_FIELDS as readonly string[]).includes(key)) {
      return fail(`${where}: unknown field ${JSON.stringify(key)}; expected ${SELECTOR_FIELDS.join(', ')}`);
    }
  }
  const selector: NodeSelector = { tagsAll: [], tagsAny: [], attributes: {} };
  if (raw.org !== undefined) {
    if (typeof raw.org !== 'string' || !isValidNodePart(raw.org)) {
      return fail(`${where}.org must be an organization name: 1 to 255 letters, digits, ".", "_", "-", ":" or "@"`);
    }
    selector.org = raw.org;
  }
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string' || !NAME_PATTERN.test(raw.name)) {
      return fail(`${where}.name must be a node name pattern: 1 to 255 letters, digits, ".", "_", "-", ":", "@", and the wildcards "*" and "?"`);
    }
    selector.namePattern = raw.name;
  }
  for (const [field, target] of [['tags_all', 'tagsAll'], ['tags_any', 'tagsAny']] as const) {
    if (raw[field] === undefined) continue;
    const problem = tagsProblem(raw[field], `${where}.${field}`);
    if (problem) return fail(problem);
    selector[target] = [...new Set(raw[field] as string[])];
  }
  if (raw.attributes !== undefined) {
    const problem = attributesProblem(raw.attributes, `${where}.attributes`);
    if (problem) return fail(problem);
    selector.attributes = { ...(raw.attributes as Record<string, string>) };
  }
  for (const [field, target] of [['os', 'os'], ['os_version', 'osVersion'], ['arch', 'arch']] as const) {
    const text = raw[field];
    if (text === undefined) continue;
    if (typeof text !== 'string' || text === '' || !isValidFactText(text)) {
      return fail(`${where}.${field} must be a non-empty string of at most ${MAX_FACT_LENGTH} characters without control characters`);
    }
    selector[target] = text;
  }
  if (raw.seen_within !== undefined) {
    const ms = typeof raw.seen_within === 'string' ? parseGoDuration(raw.seen_within) : undefined;
    if (ms === undefined || ms <= 0) return fail(`${where}.seen_within must be a positive Go duration such as "15m" or "24h"`);
    selector.seenWithin = { text: raw.seen_within as string, ms };
  }
  if (!hasCriterion(selector)) {
    return fail(`${where} must name at least one of ${SELECTOR_FIELDS.join(', ')}`);
  }
  return { ok: true, value: selector };
}

export function hasCriterion(selector: NodeSelector): boolean {
  return (
    selectsByFacts(selector) ||
    selector.org !== undefined ||
    selector.namePattern !== undefined ||
    selector.seenWithin !== undefined
  );
}

export function nodeSelectorJson(selector: NodeSelector): NodeSelectorJson {
  const json: NodeSelectorJson = {};
  if (selector.org !== undefined) json.org = selector.org;
  if (selector.namePattern !== undefined) json.name = selector.namePattern;
  if (selector.tagsAll.length > 0) json.tags_all = selector.tagsAll;
  if (selector.tagsAny.length > 0) json.tags_any = selector.tagsAny;
  if (Object.keys(selector.attributes).length > 0) json.attributes = selector.attributes;
  if (selector.os !== undefined) json.os = selector.os;
  if (selector.osVersion !== undefined) json.os_version = selector.osVersion;
  if (selector.arch !== undefined) json.arch = selector.arch;
  if (selector.seenWithin !== undefined) json.seen_within = selector.seenWithin.text;
  return json;
}

/**
 * The term keys of a selector in a query string or on the command line, each beside its field.
 * `tag`, `any_tag` and `attr` repeat; `attr` takes `key=value`.
 */
export const SELECTOR_TERMS = ['org', 'name', 'tag', 'any_tag', 'attr', 'os', 'os_version', 'arch', 'seen_within'] as const;
export type SelectorTerm = (typeof SELECTOR_TERMS)[number];

const SINGLE_TERMS: Partial<Record<SelectorTerm, keyof NodeSelectorJson>> = {
  org: 'org',
  name: 'name',
  os: 'os',
  os_version: 'os_version',
  arch: 'arch',
  seen_within: 'seen_within',
};

export function isSelectorTerm(key: string): key is SelectorTerm {
  return (SELECTOR_TERMS as readonly string[]).includes(key);
}

/**
 * Reads terms (`[key, value]` pairs, keys from SELECTOR_TERMS) into a selector object for
 * parseNodeSelector; the problem when a term is malformed. No terms: undefined (no selection).
 */
export function selectorJsonFromTerms(terms: Array<[SelectorTerm, string]>): Parsed<NodeSelectorJson | undefined> {
  if (terms.length === 0) return { ok: true, value: undefined };
  const json: NodeSelectorJson = {};
  for (const [key, value] of terms) {
    if (key === 'tag') (json.tags_all ??= []).push(value);
    else if (key === 'any_tag') (json.tags_any ??= []).push(value);
    else if (key === 'attr') {
      const split = value.indexOf('=');
      const name = split < 0 ? '' : value.slice(0, split);
      if (!isValidAttributeKey(name)) {
        return { ok: false, message: `attr must be written KEY=VALUE, the key ${TAG_RULE}, got ${JSON.stringify(value)}` };
      }
      const attributes = (json.attributes ??= {});
      if (name in attributes) return { ok: false, message: `attr ${name} is given twice` };
      attributes[name] = value.slice(split + 1);
      if (attributes[name].length > MAX_ATTRIBUTE_VALUE_LENGTH) {
        return { ok: false, message: `attr ${name}: the value is longer than ${MAX_ATTRIBUTE_VALUE_LENGTH} characters` };
      }
    } else {
      const field = SINGLE_TERMS[key] as keyof NodeSelectorJson;
      if (json[field] !== undefined) return { ok: false, message: `${key} is given twice` };
      (json as Record<string, string>)[field] = value;
    }
  }
  return { ok: true, value: json };
}

/** The glob as an anchored regular expression (node names hold no regular expression syntax but `.`). */
export function namePatternRegExp(pattern: string): string {
  const body = pattern.replace(/[.*?]/g, (char) => (char === '*' ? '.*' : char === '?' ? '.' : '\\.'));
  return `^${body}$`;
}
