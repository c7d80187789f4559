// The new-job form.
import { api } from '../widgets/api.js';
import { el, message, replaceChildren } from '../widgets/dom.js';
import { debounce, targetsFromText } from '../widgets/targets.js';
import { parseDuration } from '../widgets/time.js';
import { view } from '../widgets/view.js';

export function showNewJob() {
  const provider = el('input', { id: 'provider', name: 'provider', required: true, placeholder: 'infra', spellcheck: 'false' });
  const spec = el('textarea', { id: 'spec-input', name: 'spec', spellcheck: 'false' });
  spec.value = '{\n  "url": "https://example.com/policy.tar.gz"\n}';
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

  const form = el(
    'form',
    { class: 'grid', id: 'new-job', autocomplete: 'off' },
    el('label', { for: 'provider' }, 'Provider'),
    el('div', {}, provider, el('p', { class: 'hint' }, 'Runs foodtruck-provider-<provider> on each node.')),
    el('label', { for: 'spec-input' }, 'Spec (JSON)'),
    el('div', {}, spec, el('p', { class: 'hint' }, 'Given to the provider on stdin.')),
    el('label', { for: 'nodes-input' }, 'Nodes'),
    el('div', {}, nodes, el('p', { class: 'hint' }, 'One org/name per line.')),
    el('label', { for: 'targets-input' }, 'Targets'),
    el('div', {}, targets, matched),
    el('label', { for: 'window-start' }, 'Window start'),
    el('div', {}, start, el('p', { class: 'hint' }, 'Empty: now.')),
    el('label', { for: 'window-length' }, 'Window length'),
    el('div', {}, length, el('p', { class: 'hint' }, 'How long nodes may pick the task up: 90s, 10m, 1h30m.')),
    el('label', { for: 'timeout' }, 'Timeout'),
    el('div', {}, timeout, el('p', { class: 'hint' }, 'The node stops the provider after this long.')),
    el('span'),
    el('div', {}, submit, feedback),
  );
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
    const fail = (text) => replaceChildren(feedback, message(text, 'error'));
    let specValue;
    try {
      specValue = JSON.parse(spec.value.trim() === '' ? 'null' : spec.value);
    } catch (error) {
      return fail(`The spec is not valid JSON: ${error.message}`);
    }
    const nodeList = [];
    for (const [index, line] of nodes.value.split('\n').entries()) {
      const text = line.trim();
      if (text === '' || text.startsWith('#')) continue;
      const parts = text.split('/');
      if (parts.length !== 2 || !parts[0] || !parts[1]) return fail(`Line ${index + 1} of the nodes is not org/name: ${text}`);
      nodeList.push({ org: parts[0], name: parts[1] });
    }
    let selector;
    try {
      selector = targetsFromText(targets.value);
    } catch (error) {
      return fail(error.message);
    }
    const startTime = start.value ? new Date(start.value) : new Date();
    const lengthMs = parseDuration(length.value);
    if (!lengthMs) return fail('The window length must be a duration such as 90s, 10m or 1h30m.');
    const task = {
      window_start: startTime.toISOString(),
      window_end: new Date(startTime.getTime() + lengthMs).toISOString(),
      provider: provider.value.trim(),
      spec: specValue,
    };
    if (timeout.value.trim() !== '') task.timeout = timeout.value.trim();
    submit.disabled = true;
    try {
      const body = { task, nodes: nodeList };
      if (selector) body.targets = selector;
      const answer = await api('/admin/jobs', { method: 'POST', json: body });
      location.hash = `#/jobs/${answer.id}`;
    } catch (error) {
      fail(error.message);
    } finally {
      submit.disabled = false;
    }
  });
  replaceChildren(view, el('h1', {}, 'New job'), el('div', { class: 'card' }, form));
  provider.focus();
}
