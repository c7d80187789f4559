// `--target KEY=VALUE` flags: the selector terms of `jobs create` and `nodes list`, the same as
// the query string of GET /admin/nodes (`tag=web`, `os=ubuntu`, `attr=role=db`).

import { SELECTOR_TERMS, isSelectorTerm, selectorJsonFromTerms, type NodeSelectorJson, type SelectorTerm } from '../wire/node-selector.js';
import { UsageError } from './errors.js';

export const TARGET_HELP = `  --target KEY=VALUE   pick nodes by what they reported; repeat, every one must hold:
                         org=ORG  name=GLOB (web-*)  tag=TAG (all of them)  any_tag=TAG (one of them)
                         attr=KEY=VALUE  os=OS (ubuntu, or a platform: linux)  os_version=V  arch=ARCH
                         seen_within=DURATION (polled within it, e.g. 1h)`;

export function targetTerms(texts: string[]): Array<[SelectorTerm, string]> {
  return texts.map((text) => {
    const split = text.indexOf('=');
    const key = split < 0 ? text : text.slice(0, split);
    if (split < 0 || !isSelectorTerm(key)) {
      throw new UsageError(`--target "${text}": write KEY=VALUE with KEY one of ${SELECTOR_TERMS.join(', ')}`);
    }
    return [key, text.slice(split + 1)];
  });
}

/** A job's `targets` written back as the terms that make it: `tag=web os=ubuntu`. */
export function selectorTermsText(json: NodeSelectorJson): string {
  const terms: string[] = [];
  if (json.org !== undefined) terms.push(`org=${json.org}`);
  if (json.name !== undefined) terms.push(`name=${json.name}`);
  for (const tag of json.tags_all ?? []) terms.push(`tag=${tag}`);
  for (const tag of json.tags_any ?? []) terms.push(`any_tag=${tag}`);
  for (const [key, value] of Object.entries(json.attributes ?? {})) terms.push(`attr=${key}=${value}`);
  if (json.os !== undefined) terms.push(`os=${json.os}`);
  if (json.os_version !== undefined) terms.push(`os_version=${json.os_version}`);
  if (json.arch !== undefined) terms.push(`arch=${json.arch}`);
  if (json.seen_within !== undefined) terms.push(`seen_within=${json.seen_within}`);
  return terms.join(' ');
}

/** The selector object of a job's `targets`, or undefined without --target. */
export function targetSelector(texts: string[]): NodeSelectorJson | undefined {
  const parsed = selectorJsonFromTerms(targetTerms(texts));
  if (!parsed.ok) throw new UsageError(`--target: ${parsed.message}`);
  return parsed.value;
}
