// Node selectors as an operator types them: terms separated by spaces or new lines, the same as
// the CLI's --target and the query string of GET /admin/nodes: `tag=web os=ubuntu attr=role=db`.
// The server checks them and says what is wrong; this only splits them.

const SINGLE = { org: 'org', name: 'name', os: 'os', os_version: 'os_version', arch: 'arch', seen_within: 'seen_within' };

/** `[[key, value], ...]` from the typed text; a term without `=` is kept with an empty key, for the server to refuse. */
export function targetTerms(text) {
  return text
    .split(/\s+/)
    .filter((term) => term !== '')
    .map((term) => {
      const split = term.indexOf('=');
      return split < 0 ? [term, ''] : [term.slice(0, split), term.slice(split + 1)];
    });
}

/** The `targets` object of a job, or undefined for no terms; throws an Error naming a term it cannot read. */
export function targetsFromText(text) {
  const terms = targetTerms(text);
  if (terms.length === 0) return undefined;
  const targets = {};
  for (const [key, value] of terms) {
    if (key === 'tag') (targets.tags_all ??= []).push(value);
    else if (key === 'any_tag') (targets.tags_any ??= []).push(value);
    else if (key === 'attr') {
      const split = value.indexOf('=');
      if (split <= 0) throw new Error(`attr must be written attr=KEY=VALUE, got attr=${value}`);
      (targets.attributes ??= {})[value.slice(0, split)] = value.slice(split + 1);
    } else if (key in SINGLE) targets[SINGLE[key]] = value;
    else throw new Error(`"${key}" is not a target: use org, name, tag, any_tag, attr, os, os_version, arch or seen_within`);
  }
  return targets;
}

/** The terms as query parameters (`tag` repeated), for GET /admin/nodes. */
export function appendTargetTerms(search, text) {
  for (const [key, value] of targetTerms(text)) search.append(key, value);
}

/** Calls `callback` once typing has paused for `ms`. */
export function debounce(callback, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => callback(...args), ms);
  };
}

/** A short description of a node's facts for a table cell: `ubuntu 22.04 x64`. */
export function factsSummary(facts) {
  if (!facts) return '';
  return [facts.os, facts.os_version, facts.arch].filter(Boolean).join(' ');
}
