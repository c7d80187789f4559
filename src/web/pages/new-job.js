// The new-job form.
import { api } from '../widgets/api.js';
import { el, message, replaceChildren } from '../widgets/dom.js';
import { debounce, targetsFromText } from '../widgets/targets.js';
import { parseDuration } from '../widgets/time.js';
import { view } from '../widgets/view.js';

/** Which field a server's refusal is about, from its message (docs/api.md lists them). */
function fieldOfMessage(text) {
  if (/^task provider/.test(text)) return 'provider';
  if (/^(targets|too many nodes: targets)/.test(text)) return 'targets';
  if (/^(no nodes provided|nodes\[|too many nodes)/.test(text)) return 'nodes';
  if (/^(window_start|window_end|window has)/.test(text)) return 'length';
  if (/^task timeout/.test(text)) return 'timeout';
  if (/^(task spec|invalid request json: task\.spec)/.test(text)) return 'spec';
  return undefined;
}

export function showNewJob() {
  const provider = el('input', { id: 'provider', name: 'provider', placeholder: 'infra', spellcheck: 'false' });
  // An example to follow, not a value: a job is never sent with a spec nobody wrote.
  const spec = el('textarea', {
    id: 'spec-input',
    name: 'spec',
    spellcheck: 'false',
    placeholder: '{\n  "url": "https://example.com/policy.tar.gz"\n}',
  });
  const nodes = el('textarea', { id: 'nodes-input', name: 'nodes', spellcheck: 'false', placeholder: 'org/node1\norg/node2' });
  const targets = el('input', {
    id: 'targets-input',
    name: 'targets',
    spellcheck: 'false',
    placeholder: 'tag=web os=ubuntu (optional)',
  });
  const matched = el('p', { class: 'hint', id: 'targets-count', 'aria-live': 'polite' }, 'Picks nodes by what they reported: org, name (web-*), tag, any_tag, attr=KEY=VALUE, os, os_version, arch, seen_within.');
  const start = el('input', { id: 'window-start', name: 'start', type: 'datetime-local' });
  const length = el('input', { id: 'window-length', name: 'length', value: '1h', spellcheck: 'false' });
  const timeout = el('input', { id: 'timeout', name: 'timeout', placeholder: 'e.g. 30m (optional)', spellcheck: 'false' });
  const feedback = el('div', { id: 'create-feedback' });
  const submit = el('button', { type: 'submit', id: 'create-job' }, 'Create job');
  /** One error line beside each field, all of them shown at once. */
  const errors = Object.fromEntries(
    ['provider', 'spec', 'nodes', 'targets', 'start', 'length', 'timeout'].map((field) => [
      field,
      el('p', { class: 'error field-error', id: `${field}-error`, role: 'alert', hidden: true }),
    ]),
  );
  const field = (input, name, hint) => el('div', {}, input, errors[name], el('p', { class: 'hint' }, hint));

  const form = el(
    'form',
    { class: 'grid', id: 'new-job', autocomplete: 'off', novalidate: true },
    el('label', { for: 'provider' }, 'Provider'),
    field(provider, 'provider', 'Runs foodtruck-provider-<provider> on each node.'),
    el('label', { for: 'spec-input' }, 'Spec (JSON)'),
    field(spec, 'spec', 'Given to the provider on stdin. Empty: null.'),
    el('label', { for: 'nodes-input' }, 'Nodes'),
    field(nodes, 'nodes', 'One org/name per line.'),
    el('label', { for: 'targets-input' }, 'Targets'),
    el('div', {}, targets, errors.targets, matched),
    el('label', { for: 'window-start' }, 'Window start'),
    field(start, 'start', 'Empty: now.'),
    el('label', { for: 'window-length' }, 'Window length'),
    field(length, 'length', 'How long nodes may pick the task up: 90s, 10m, 1h30m.'),
    el('label', { for: 'timeout' }, 'Timeout'),
    field(timeout, 'timeout', 'The node stops the provider after this long.'),
    el('span'),
    el('div', {}, submit, feedback),
  );
  const showErrors = (found) => {
    for (const [name, element] of Object.entries(errors)) {
      element.textContent = found[name] ?? '';
      element.hidden = !found[name];
    }
  };
  // The blast radius while typing: how many nodes the targets pick, asked once typing pauses.
  let asked = 0;
  const preview = debounce(async () => {
    const question = ++asked;
    let selector;
    try {
      selector = targetsFromText(targets.value);
    } catch (error) {
      return replaceChildren(matched, message(error.message, 'error'));
    }
    if (!selector) return replaceChildren(matched, 'No targets: only the nodes listed above.');
    try {
      const answer = await api('/admin/nodes/resolve?limit=1', { method: 'POST', json: { targets: selector } });
      if (question !== asked) return;
      replaceChildren(matched, `${answer.count} node${answer.count === 1 ? '' : 's'} match${answer.count === 1 ? 'es' : ''} the targets.`);
    } catch (error) {
      if (question === asked) replaceChildren(matched, message(error.message, 'error'));
    }
  }, 300);
  targets.addEventListener('input', preview);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replaceChildren(feedback);
    const found = {};
    if (provider.value.trim() === '') found.provider = 'Give the provider to run.';
    let specValue = null;
    try {
      specValue = JSON.parse(spec.value.trim() === '' ? 'null' : spec.value);
    } catch (error) {
      found.spec = `Not valid JSON: ${error.message}`;
    }
    const nodeList = [];
    const badLines = [];
    for (const [index, line] of nodes.value.split('\n').entries()) {
      const text = line.trim();
      if (text === '' || text.startsWith('#')) continue;
      const parts = text.split('/');
      if (parts.length !== 2 || !parts[0] || !parts[1]) badLines.push(`line ${index + 1} (${text})`);
      else nodeList.push({ org: parts[0], name: parts[1] });
    }
    let selector;
    try {
      selector = targetsFromText(targets.value);
    } catch (error) {
      found.targets = error.message;
    }
    if (badLines.length > 0) found.nodes = `Not org/name: ${badLines.slice(0, 3).join(', ')}${badLines.length > 3 ? ', ...' : ''}`;
    else if (nodeList.length === 0 && !selector && !found.targets) found.nodes = 'Give at least one node, or targets.';
    const startTime = start.value ? new Date(start.value) : new Date();
    if (Number.isNaN(startTime.getTime())) found.start = 'Not a date and time.';
    const lengthMs = parseDuration(length.value);
    if (!lengthMs) found.length = 'A duration such as 90s, 10m or 1h30m.';
    showErrors(found);
    if (Object.keys(found).length > 0) return;
    const task = {
      window_start: startTime.toISOString(),
      window_end: new Date(startTime.getTime() + lengthMs).toISOString(),
      provider: provider.value.trim(),
      spec: specValue,
    };
    if (timeout.value.trim() !== '') task.timeout = timeout.value.trim();
    submit.disabled = true;
    try {
      const body = { task };
      if (nodeList.length > 0 || !selector) body.nodes = nodeList;
      if (selector) body.targets = selector;
      const answer = await api('/admin/jobs', { method: 'POST', json: body });
      location.hash = `#/jobs/${answer.id}`;
    } catch (error) {
      const name = fieldOfMessage(error.message);
      if (name) showErrors({ [name]: error.message });
      else replaceChildren(feedback, message(error.message, 'error'));
    } finally {
      submit.disabled = false;
    }
  });
  replaceChildren(view, el('h1', {}, 'New job'), el('div', { class: 'card' }, form));
  provider.focus();
}
