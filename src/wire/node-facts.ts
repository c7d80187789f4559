// What a node says about itself (`PUT .../nodes/:name/facts`): its system, and the tags and
// attributes its operator set in the client's configuration. The client checks its configuration
// with the same rules, so a node never sends facts the server refuses.

import type { Parsed } from './job-request.js';

export interface NodeFacts {
  /** The distribution or system id, e.g. `ubuntu`, `debian`, `darwin`, `windows`. */
  os?: string;
  /** e.g. `22.04`. */
  osVersion?: string;
  /** Node.js's `process.platform`: `linux`, `darwin`, `win32`... */
  platform?: string;
  /** Node.js's `process.arch`: `x64`, `arm64`... */
  arch?: string;
  hostname?: string;
  clientVersion?: string;
  /** Distinct, in the order given. */
  tags: string[];
  attributes: Record<string, string>;
}

export const MAX_TAGS = 64;
export const MAX_ATTRIBUTES = 64;
export const MAX_FACT_LENGTH = 255;
export const MAX_ATTRIBUTE_VALUE_LENGTH = 255;

/** A tag and an attribute key: a word, so that it reads plainly in a selector (`tag=web`). */
const WORD = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Facts and attribute values: printable, no control characters. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

export const TAG_RULE = '1 to 64 letters, digits, ".", "_", ":" or "-"';

export function isValidTag(value: string): boolean {
  return WORD.test(value);
}

export const isValidAttributeKey = isValidTag;

export function isValidFactText(value: string, maxLength = MAX_FACT_LENGTH): boolean {
  return value.length <= maxLength && PRINTABLE.test(value);
}

/** The wire names of the single-valued facts, beside their field in NodeFacts. */
export const TEXT_FACTS = [
  ['os', 'os'],
  ['os_version', 'osVersion'],
  ['platform', 'platform'],
  ['arch', 'arch'],
  ['hostname', 'hostname'],
  ['client_version', 'clientVersion'],
] as const;

const KNOWN_FIELDS = new Set<string>([...TEXT_FACTS.map(([wire]) => wire), 'tags', 'attributes']);

/** Checks a list of tags: the problem, or undefined. Duplicates are allowed (and dropped later). */
export function tagsProblem(value: unknown, where = 'tags'): string | undefined {
  if (!Array.isArray(value)) return `${where} must be an array of words`;
  if (value.length > MAX_TAGS) return `${where} has ${value.length} entries, at most ${MAX_TAGS} are allowed`;
  for (const [index, tag] of value.entries()) {
    if (typeof tag !== 'string' || !isValidTag(tag)) {
      return `${where}[${index}] must be ${TAG_RULE}, got ${describe(tag)}`;
    }
  }
  return undefined;
}

/** Checks a map of attributes: the problem, or undefined. */
export function attributesProblem(value: unknown, where = 'attributes'): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `${where} must be an object of string values`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_ATTRIBUTES) return `${where} has ${entries.length} entries, at most ${MAX_ATTRIBUTES} are allowed`;
  for (const [key, text] of entries) {
    if (!isValidAttributeKey(key)) return `${where}: key ${describe(key)} must be ${TAG_RULE}`;
    if (typeof text !== 'string') return `${where}.${key} must be a string`;
    if (!isValidFactText(text, MAX_ATTRIBUTE_VALUE_LENGTH)) {
      return `${where}.${key} must be at most ${MAX_ATTRIBUTE_VALUE_LENGTH} characters without control characters`;
    }
  }
  return undefined;
}

/** Validates a facts body; every field is optional, unknown fields are refused (a typo would be lost). */
export function parseNodeFacts(body: unknown): Parsed<NodeFacts> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: 'facts must be a JSON object' };
  }
  const raw = body as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KNOWN_FIELDS.has(key)) {
      return { ok: false, message: `unknown fact ${describe(key)}: expected ${[...KNOWN_FIELDS].join(', ')}` };
    }
  }
  const facts: NodeFacts = { tags: [], attributes: {} };
  for (const [wire, field] of TEXT_FACTS) {
    const value = raw[wire];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || !isValidFactText(value)) {
      return { ok: false, message: `${wire} must be a string of at most ${MAX_FACT_LENGTH} characters without control characters` };
    }
    if (value !== '') facts[field] = value;
  }
  if (raw.tags !== undefined && raw.tags !== null) {
    const problem = tagsProblem(raw.tags);
    if (problem) return { ok: false, message: problem };
    facts.tags = [...new Set(raw.tags as string[])];
  }
  if (raw.attributes !== undefined && raw.attributes !== null) {
    const problem = attributesProblem(raw.attributes);
    if (problem) return { ok: false, message: problem };
    facts.attributes = { ...(raw.attributes as Record<string, string>) };
  }
  return { ok: true, value: facts };
}

/** Facts as the wire writes them (the body the client sends, and `facts` in node answers). */
export function nodeFactsJson(facts: NodeFacts): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [wire, field] of TEXT_FACTS) {
    if (facts[field] !== undefined) json[wire] = facts[field];
  }
  json.tags = facts.tags;
  json.attributes = facts.attributes;
  return json;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
