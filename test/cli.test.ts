// The operators' CLI, spawned as a user runs it, against the real server on a real port.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { call } from './support/api-client.js';
import { runFoodtruck, startFoodtruck, type CliRun } from './support/cli-process.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { makeTempDir } from './support/temp-dir.js';

const COMMANDS = [
  ['jobs', 'create'],
  ['jobs', 'get'],
  ['jobs', 'list'],
  ['jobs', 'cancel'],
  ['jobs', 'rerun'],
  ['jobs', 'watch'],
  ['nodes', 'list'],
  ['nodes', 'key', 'get'],
  ['nodes', 'key', 'set'],
  ['nodes', 'key', 'reset'],
];

describe('foodtruck CLI', () => {
  let server: ServerProcess;
  let files: { dir: string; remove: () => void };
  let unique = 0;
  const env = () => ({ FOODTRUCK_URL: server.url, ADMIN_API_KEY: server.adminKey });
  const foodtruck = (args: string[], options: Parameters<typeof runFoodtruck>[1] = {}) =>
    runFoodtruck(args, { ...options, env: { ...env(), ...options.env } });
  const startCli = (args: string[], options: Parameters<typeof runFoodtruck>[1] = {}) =>
    startFoodtruck(args, { ...options, env: { ...env(), ...options.env } });
  const freshName = (label: string) => `${label}-${++unique}`;
  const nodeCall = (node: string, verb: 'next' | 'status', json?: unknown) => {
    const [org, name] = node.split('/') as [string, string];
    return call(`${server.url}/organizations/${org}/foodtruck/nodes/${name}/tasks/${verb}`, {
      method: 'POST',
      key: server.nodesKey,
      ...(json === undefined ? {} : { json }),
    });
  };
  /** Plays a node as the client does: takes its task, reports running, then the outcome. */
  const runAsNode = async (node: string, outcome: { status: 'success' | 'failed'; exit_code: number; reason: string; output?: string }) => {
    const next = await nodeCall(node, 'next');
    assert.equal(next.status, 200, JSON.stringify(next.body));
    const jobId = next.body.job_id as string;
    assert.equal((await nodeCall(node, 'status', { job_id: jobId, status: 'running' })).status, 200);
    const { status, ...result } = outcome;
    assert.equal((await nodeCall(node, 'status', { job_id: jobId, status, result })).status, 200);
  };
  const assertNoStack = (run: CliRun) => {
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    // One line of error, then at most the command's usage line and where its help is.
    assert.equal(run.stderr.trim().split('\n').length <= 3, true, run.stderr);
  };
  const createJob = async (nodes: string[], extra: string[] = []): Promise<string> => {
    const run = await foodtruck(['jobs', 'create', '--provider', 'infra', ...nodes.flatMap((n) => ['--node', n]), ...extra]);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    assert.match(id, /^[0-9a-f]{24}$/);
    return id;
  };

  before(async () => {
    server = await startServer();
    files = makeTempDir('foodtruck-cli-');
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
    files?.remove();
  });

  it('prints help for every command, and the command list when given none', async () => {
    const none = await foodtruck([]);
    assert.equal(none.code, 2);
    for (const words of COMMANDS) assert.match(none.stdout, new RegExp(words.join(' ')));
    const help = await foodtruck(['--help']);
    assert.equal(help.code, 0);
    for (const words of COMMANDS) {
      const run = await foodtruck([...words, '--help']);
      assert.equal(run.code, 0, words.join(' '));
      assert.match(run.stdout, new RegExp(`^Usage: foodtruck ${words.join(' ')}`));
      assert.match(run.stdout, /--json/);
    }
  });

  it('creates a job from flags, a spec file and a nodes file, and prints its id', async () => {
    const specFile = path.join(files.dir, 'spec.json');
    writeFileSync(specFile, JSON.stringify({ url: 'https://example.com/policy.tar.gz', retries: [1, 2] }));
    const nodesFile = path.join(files.dir, 'nodes.txt');
    writeFileSync(nodesFile, '# the web tier\nweb/one\n\n  web/two  \n');
    const before = Date.now();
    const id = await createJob(['db/main'], ['--spec', `@${specFile}`, '--nodes-file', nodesFile, '--start', '+10m', '--end', '+2h', '--timeout', '30m']);
    const job = await call(`${server.url}/admin/jobs/${id}`, { key: server.adminKey });
    assert.deepEqual(job.body.job.nodes, [{ org: 'db', name: 'main' }, { org: 'web', name: 'one' }, { org: 'web', name: 'two' }]);
    assert.deepEqual(job.body.job.task.spec, { url: 'https://example.com/policy.tar.gz', retries: [1, 2] });
    assert.equal(job.body.job.task.timeout, '30m');
    const start = Date.parse(job.body.job.task.window_start);
    const end = Date.parse(job.body.job.task.window_end);
    assert.ok(Math.abs(start - (before + 600_000)) < 5_000, 'start is 10 minutes from now');
    assert.equal(end - start, 7_200_000, 'end is 2 hours after the start');
  });

  it('reads the spec from stdin and answers JSON with --json', async () => {
    const run = await foodtruck(['jobs', 'create', '--provider', 'infra', '--node', `org/${freshName('stdin')}`, '--spec', '-', '--json'], {
      stdin: '{"from": "stdin"}',
    });
    assert.equal(run.code, 0, run.stderr);
    const { id } = JSON.parse(run.stdout) as { id: string };
    const job = await call(`${server.url}/admin/jobs/${id}`, { key: server.adminKey });
    assert.deepEqual(job.body.job.task.spec, { from: 'stdin' });
  });

  it('shows the server\'s message, never a stack trace, with exit status 3', async () => {
    const missing = await foodtruck(['jobs', 'get', '5ff7686a91072739255a4a35']);
    assert.equal(missing.code, 3);
    assert.equal(missing.stderr, 'foodtruck: the server answered 404: job not found\n');
    const expired = await foodtruck(['jobs', 'create', '--provider', 'infra', '--node', 'org/a', '--start', '2020-01-01T00:00:00Z', '--end', '2020-01-02T00:00:00Z']);
    assert.equal(expired.code, 3);
    assert.equal(expired.stderr, 'foodtruck: the server answered 400: window has already expired\n');
    const badProvider = await foodtruck(['jobs', 'create', '--provider', '../evil', '--node', 'org/a']);
    assert.equal(badProvider.code, 3);
    assert.match(badProvider.stderr, /^foodtruck: the server answered 400: task provider must be/);
    const wrongKey = await foodtruck(['jobs', 'list'], { env: { ADMIN_API_KEY: server.nodesKey } });
    assert.equal(wrongKey.code, 3);
    assert.equal(wrongKey.stderr, 'foodtruck: the server answered 401: Unauthorized\n');
    const closedPort = await portNobodyListensOn();
    const unreachable = await foodtruck(['jobs', 'list', '--url', `http://127.0.0.1:${closedPort}`]);
    assert.equal(unreachable.code, 3);
    assert.equal(unreachable.stderr, `foodtruck: cannot reach the server at http://127.0.0.1:${closedPort}: ECONNREFUSED\n`);
    for (const run of [missing, expired, badProvider, wrongKey, unreachable]) assertNoStack(run);
  });

  it('refuses a wrong command line with exit status 2 before sending anything', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['jobs', 'create', '--node', 'org/a'], /--provider is required/],
      [['jobs', 'create', '--provider', 'infra'], /no nodes/],
      [['jobs', 'create', '--provider', 'infra', '--node', 'no-slash'], /"no-slash" is not a node/],
      [['jobs', 'create', '--provider', 'infra', '--node', 'o/a', '--spec', '{nope'], /--spec is not valid JSON/],
      [['jobs', 'create', '--provider', 'infra', '--node', 'o/a', '--end', 'tomorrow'], /--end: "tomorrow"/],
      [['jobs', 'get'], /missing job ID/],
      [['jobs', 'list', '--bogus'], /^foodtruck: unknown option --bogus\nUsage: foodtruck jobs list /],
      [['jobs', 'create', '--provider'], /^foodtruck: option --provider needs a value\nUsage: foodtruck jobs create /],
      [['jobs', 'list', '--json=yes'], /^foodtruck: option --json takes no value\n/],
      [['jobs', 'create', '--provider', 'infra', '--node', 'o/a', '--spec', '@/nonexistent/spec.json'], /^foodtruck: cannot read \/nonexistent\/spec.json: ENOENT\n/],
      [['jobs', 'fly'], /"jobs fly" is not a command/],
      [['jobs', 'list', '--key', ''], /no admin key/],
      [['jobs', 'watch', 'x', '--timeout', 'soon'], /--timeout must be a duration/],
      [['jobs', 'watch', 'x', '--timeout', '1000h'], /--timeout must be a duration from 1ms to 596h/],
      [['jobs', 'create', '--provider', 'infra', '--node', 'o/a', '--wait-timeout', '1m'], /--wait-timeout goes with --wait/],
      [['jobs', 'create', '--provider', 'infra', '--node', 'o/a', '--max-errors', 'many'], /--max-errors must be/],
      [['jobs', 'list', '--state', 'done'], /--state must be active or finished/],
      [['jobs', 'rerun', 'x', '--status', 'broken'], /--status must be one of/],
      [['jobs', 'cancel', 'x', '--node', 'nobody'], /--node: "nobody" is not a node/],
    ];
    for (const [args, message] of cases) {
      const run = await foodtruck(args, { env: { ADMIN_API_KEY: args.includes('--key') ? '' : server.adminKey } });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assertNoStack(run);
    }
  });

  it('lets flags override FOODTRUCK_URL and ADMIN_API_KEY', async () => {
    const run = await foodtruck(['jobs', 'list', '--url', server.url, '--key', server.adminKey], {
      env: { FOODTRUCK_URL: `http://127.0.0.1:${await portNobodyListensOn()}`, ADMIN_API_KEY: 'not-the-key-at-all' },
    });
    assert.equal(run.code, 0, run.stderr);
  });

  it('lists jobs newest first, as a table or as JSON', async () => {
    const older = await createJob([`org/${freshName('list')}`]);
    const newer = await createJob([`org/${freshName('list')}`, `org/${freshName('list')}`]);
    const table = await foodtruck(['jobs', 'list', '--limit', '2']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.split('\n');
    assert.match(lines[0] ?? '', /^ID\s+CREATED\s+BY\s+PROVIDER\s+NODES\s+DONE\s+STATUSES$/);
    assert.match(lines[1] ?? '', new RegExp(`^${newer}\\s.*\\sadmin\\s+infra\\s+2\\s+0%\\s+queued 2$`));
    assert.match(lines[2] ?? '', new RegExp(`^${older}\\s`));
    assert.match(table.stdout, /Older jobs: foodtruck jobs list --cursor /);
    const json = JSON.parse((await foodtruck(['jobs', 'list', '--limit', '1', '--json'])).stdout) as { jobs: Array<{ id: string }> };
    assert.equal(json.jobs[0]?.id, newer);
  });

  it('shows a job with its task, counts and nodes, filtered by status', async () => {
    const [a, b] = [`org/${freshName('get')}`, `org/${freshName('get')}`];
    const id = await createJob([a, b], ['--spec', '{"url":"https://example.com/x"}']);
    await runAsNode(a, { status: 'failed', exit_code: 7, reason: 'exit error', output: 'first\nlast words\n' });
    const run = await foodtruck(['jobs', 'get', id]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`Job\\s+${id}`));
    assert.match(run.stdout, /Provider\s+infra/);
    assert.match(run.stdout, /"url": "https:\/\/example.com\/x"/);
    assert.match(run.stdout, /50% 1\/2 {2}queued 1 {2}failed 1/);
    assert.match(run.stdout, new RegExp(`${a}\\s+failed\\s+\\S+\\s+7\\s+exit error\\s+last words`));
    const failedOnly = JSON.parse((await foodtruck(['jobs', 'get', id, '--status', 'queued', '--json'])).stdout) as {
      statuses: Array<{ node_name: string }>;
      summary: Record<string, number>;
    };
    assert.deepEqual(failedOnly.statuses.map((s) => s.node_name), [b]);
    assert.equal(failedOnly.summary.failed, 1);
  });

  it('prints one node\'s whole output and reason with jobs output, which the tables point to', async () => {
    const [a, b] = [`org/${freshName('output')}`, `org/${freshName('output')}`];
    const id = await createJob([a, b]);
    const reason = `exit error: ${'a long explanation '.repeat(5)}end`;
    const output = `first line\n${'x'.repeat(3000)}\nlast line\n`;
    await runAsNode(a, { status: 'failed', exit_code: 4, reason, output });
    const run = await foodtruck(['jobs', 'output', id, a]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, output, 'the whole output, byte for byte, when piped');
    assert.equal(run.stderr, `${a}: failed, exit code 4: ${reason}\n`);
    const table = await foodtruck(['jobs', 'get', id]);
    assert.match(table.stdout, new RegExp(`A node's whole reason and output: foodtruck jobs output ${id} ORG/NAME`));
    const json = JSON.parse((await foodtruck(['jobs', 'output', id, a, '--json'])).stdout) as { result: { output: string } };
    assert.equal(json.result.output, output);
    const none = await foodtruck(['jobs', 'output', id, b]);
    assert.equal(none.code, 0);
    assert.equal(none.stdout, '');
    const stranger = await foodtruck(['jobs', 'output', id, 'org/nobody']);
    assert.equal(stranger.code, 3);
    assert.match(stranger.stderr, /does not target node org\/nobody/);
    const usage = await foodtruck(['jobs', 'output', id]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /missing node ORG\/NAME/);
  });

  it('cancels the tasks nobody picked up', async () => {
    const [a, b] = [`org/${freshName('cancel')}`, `org/${freshName('cancel')}`];
    const id = await createJob([a, b]);
    assert.equal((await nodeCall(a, 'next')).status, 200);
    const run = await foodtruck(['jobs', 'cancel', id]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      new RegExp(`Cancelled 1 task\\(s\\) of job ${id}; asked the nodes of 1 handed-out task\\(s\\) to stop\\. Now: pending 1 {2}cancelled 1`),
    );
    assert.match(run.stdout, new RegExp(`List the cancelled nodes: foodtruck jobs get ${id} --status cancelled`));
    const again = JSON.parse((await foodtruck(['jobs', 'cancel', id, '--json'])).stdout) as { cancelled: number };
    assert.equal(again.cancelled, 0);
  });

  it("cancels one node's task with --node and names the command that lists the cancelled nodes", async () => {
    const [a, b] = [`org/${freshName('cancel-node')}`, `org/${freshName('cancel-node')}`];
    const id = await createJob([a, b]);
    const run = await foodtruck(['jobs', 'cancel', id, '--node', b]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`Cancelled 1 task\\(s\\) of ${b} in job ${id}\\. Now: queued 1 {2}cancelled 1`));
    assert.match(run.stdout, new RegExp(`List the cancelled nodes: foodtruck jobs get ${id} --status cancelled`));
    const listed = await foodtruck(['jobs', 'get', id, '--status', 'cancelled']);
    assert.match(listed.stdout, new RegExp(`${b}\\s+cancelled`));
    assert.doesNotMatch(listed.stdout, new RegExp(`${a}\\s`));
  });

  it('watches a job to its end and lists the failed nodes with exit codes and reasons, exiting 1', async () => {
    const nodes = [`org/${freshName('watch')}`, `org/${freshName('watch')}`, `org/${freshName('watch')}`];
    const id = await createJob(nodes);
    const watching = startCli(['jobs', 'watch', id, '--interval', '100ms']);
    await watching.waitFor(/0% 0\/3/);
    await runAsNode(nodes[0] as string, { status: 'success', exit_code: 0, reason: '' });
    await runAsNode(nodes[1] as string, { status: 'failed', exit_code: 3, reason: 'exit error', output: 'disk \u001b[31mfull\n' });
    await sleep(300);
    await runAsNode(nodes[2] as string, { status: 'success', exit_code: 0, reason: '' });
    const run = await watching.done;
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stdout.split('\n');
    assert.ok(lines.some((line) => /^\[\.+\] +0% 0\/3 {2}queued 3 {2}\(3 never checked in\)$/.test(line)), run.stdout);
    assert.ok(lines.some((line) => /^\[#{30}\] 100% 3\/3 {2}success 2 {2}failed 1$/.test(line)), run.stdout);
    assert.match(run.stdout, /Failed nodes \(1\):\nNODE\s+STATUS\s+EXIT\s+REASON\s+OUTPUT \(last line\)\n/);
    assert.match(run.stdout, new RegExp(`${nodes[1]}\\s+failed\\s+3\\s+exit error\\s+disk \\\\x1b\\[31mfull`));
    assert.match(run.stdout, new RegExp(`foodtruck jobs rerun ${id}`));
    assert.ok(!run.stdout.includes('\u001b'), 'escape sequences from node output are shown, not obeyed');
  });

  it('jobs rerun re-runs exactly the failed nodes through the real route, records rerun_of, and follows the new job with --wait', async () => {
    const [ok, bad, idle] = [`org/${freshName('rerun')}`, `org/${freshName('rerun')}`, `org/${freshName('rerun')}`];
    const id = await createJob([ok, bad, idle]);
    await runAsNode(ok, { status: 'success', exit_code: 0, reason: '' });
    await runAsNode(bad, { status: 'failed', exit_code: 2, reason: 'exit error' });
    const admin = (route: string) => call(`${server.url}${route}`, { key: server.adminKey });
    const nodesOf = async (jobId: string) =>
      ((await admin(`/admin/jobs/${jobId}`)).body.job.nodes as Array<{ org: string; name: string }>).map((n) => `${n.org}/${n.name}`).sort();

    // Default statuses (failed, timed_out, expired): the failed node only.
    const rerun = await foodtruck(['jobs', 'rerun', id]);
    assert.equal(rerun.code, 0, rerun.stderr);
    const newId = rerun.stdout.trim();
    assert.match(newId, /^[0-9a-f]{24}$/);
    assert.notEqual(newId, id);
    assert.deepEqual(await nodesOf(newId), [bad]);
    const created = (await admin(`/admin/jobs/${newId}`)).body.job;
    assert.equal(created.rerun_of, id);
    assert.equal(created.task.provider, 'infra');
    const shown = await foodtruck(['jobs', 'get', newId]);
    assert.match(shown.stdout, new RegExp(`Rerun of\\s+${id}`));

    // Chosen statuses and a new window.
    const chosen = await foodtruck(['jobs', 'rerun', id, '--status', 'failed', '--status', 'queued', '--start', '+1h', '--end', '+2h', '--json']);
    assert.equal(chosen.code, 0, chosen.stderr);
    const chosenId = (JSON.parse(chosen.stdout) as { id: string }).id;
    assert.deepEqual(await nodesOf(chosenId), [bad, idle].sort());
    const window = (await admin(`/admin/jobs/${chosenId}`)).body.job.task as { window_start: string; window_end: string };
    const startsIn = Date.parse(window.window_start) - Date.now();
    assert.ok(startsIn > 50 * 60_000 && startsIn <= 3_600_000, `window starts in ${startsIn} ms`);
    // --end counts from the start.
    assert.equal(Date.parse(window.window_end) - Date.parse(window.window_start), 7_200_000);

    // Nothing in the chosen status: the server's message, exit 1, no stack.
    const nothing = await foodtruck(['jobs', 'rerun', id, '--status', 'cancelled']);
    assert.equal(nothing.code, 3, nothing.stdout);
    assert.match(nothing.stderr, new RegExp(`no node of job ${id} is cancelled: nothing to rerun`));
    assertNoStack(nothing);

    // --wait follows the new job to its end: the re-run node succeeds this time. The first rerun
    // is cancelled so that the node's next task is the new one.
    assert.equal((await call(`${server.url}/admin/jobs/${newId}/cancel`, { method: 'POST', key: server.adminKey })).status, 200);
    const waiting = startCli(['jobs', 'rerun', id, '--wait', '--interval', '100ms']);
    await waiting.waitFor(/a rerun of/, 'stderr');
    const next = await nodeCall(bad, 'next');
    assert.equal(next.status, 200, JSON.stringify(next.body));
    const waitedId = next.body.job_id as string;
    assert.equal((await admin(`/admin/jobs/${waitedId}`)).body.job.rerun_of, id);
    assert.equal((await nodeCall(bad, 'status', { job_id: waitedId, status: 'success', result: { exit_code: 0, reason: '' } })).status, 200);
    const waited = await waiting.done;
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stderr, new RegExp(`created job ${waitedId}, a rerun of ${id}; following it`));
    assert.match(waited.stdout, /All 1 node\(s\) succeeded\./);
  });

  it('exits 0 from watch and create --wait only when every node succeeded', async () => {
    const node = `org/${freshName('wait')}`;
    const waiting = foodtruck(['jobs', 'create', '--provider', 'infra', '--node', node, '--wait', '--interval', '100ms', '--json']);
    let claimed = await nodeCall(node, 'next');
    for (let i = 0; claimed.status === 404 && i < 100; i++) {
      await sleep(100);
      claimed = await nodeCall(node, 'next');
    }
    assert.equal(claimed.status, 200);
    await nodeCall(node, 'status', { job_id: claimed.body.job_id, status: 'success', result: { exit_code: 0, reason: '' } });
    const run = await waiting;
    assert.equal(run.code, 0, run.stderr);
    const answer = JSON.parse(run.stdout) as { id: string; succeeded: boolean; failed: unknown[]; summary: Record<string, number> };
    assert.equal(answer.id, claimed.body.job_id);
    assert.deepEqual([answer.succeeded, answer.failed, answer.summary.success], [true, [], 1]);
    const watched = await foodtruck(['jobs', 'watch', answer.id]);
    assert.equal(watched.code, 0);
    assert.match(watched.stdout, /All 1 node\(s\) succeeded\./);

    const cancelled = await createJob([`org/${freshName('wait')}`]);
    await foodtruck(['jobs', 'cancel', cancelled]);
    const none = await foodtruck(['jobs', 'watch', cancelled]);
    assert.equal(none.code, 1, 'a cancelled node did not succeed');
    assert.match(none.stdout, /1 node\(s\) did not run it to the end: 0 expired, 1 cancelled/);
    assert.match(none.stdout, new RegExp(`list them: foodtruck jobs get ${cancelled} --status cancelled\\)`));
  });

  it('gives up at --timeout with exit status 4, saying how to follow the job again', async () => {
    const id = await createJob([`org/${freshName('deadline')}`]);
    const started = Date.now();
    const run = await foodtruck(['jobs', 'watch', id, '--interval', '100ms', '--timeout', '1500ms']);
    assert.equal(run.code, 4, run.stderr);
    assert.ok(Date.now() - started >= 1500);
    assert.equal(
      run.stderr,
      `foodtruck: gave up waiting after 1s500ms: the job is not finished (queued 1); follow it again with: foodtruck jobs watch ${id}\n`,
    );
    const json = await foodtruck(['jobs', 'watch', id, '--timeout', '300ms', '--json']);
    assert.equal(json.code, 4);
    const answer = JSON.parse(json.stdout) as { id: string; finished: boolean; gave_up_after: string };
    assert.deepEqual([answer.id, answer.finished, answer.gave_up_after], [id, false, '300ms']);

    const node = `org/${freshName('deadline')}`;
    const waited = await foodtruck(['jobs', 'create', '--provider', 'infra', '--node', node, '--wait', '--wait-timeout', '500ms', '--timeout', '1h']);
    assert.equal(waited.code, 4, waited.stderr);
    assert.match(waited.stderr, /gave up waiting after 500ms/);
  });

  it('lists nodes with their last check-in and tasks, and finds the silent ones', async () => {
    const [polled, silent] = [`quiet/${freshName('polled')}`, `quiet/${freshName('silent')}`];
    await createJob([polled, silent]);
    assert.equal((await nodeCall(polled, 'next')).status, 200);
    const run = await foodtruck(['nodes', 'list', '--cursor', 'quiet/-']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^NODE\s+LAST CHECK-IN\s+QUEUED\s+PENDING\s+RUNNING\s+SUCCESS\s+FAILED\s+TIMED OUT\s+EXPIRED\s+CANCELLED\s+OS\s+ARCH\s+TAGS\n/);
    assert.match(run.stdout, new RegExp(`${polled}\\s+\\d+s ago \\(\\S+\\)\\s+0\\s+1\\s+0`));
    assert.match(run.stdout, new RegExp(`${silent}\\s+never\\s+1\\s+0\\s+0`));
    const silentOnes = JSON.parse((await foodtruck(['nodes', 'list', '--silent', '1m', '--json'])).stdout) as {
      nodes: Array<{ node_name: string }>;
    };
    const names = silentOnes.nodes.map((n) => n.node_name);
    assert.ok(names.includes(silent));
    assert.ok(!names.includes(polled), 'a node that just polled is not silent');
  });
});

describe('foodtruck jobs watch across a server restart', () => {
  it('says so on one line, retries with backoff, and carries on to the end when the server is back', async () => {
    let server = await startServer();
    const { dataDir, adminKey, nodesKey, port } = server;
    const env = { FOODTRUCK_URL: server.url, ADMIN_API_KEY: adminKey };
    try {
      const node = 'org/restart-1';
      const created = await runFoodtruck(['jobs', 'create', '--provider', 'infra', '--node', node], { env });
      assert.equal(created.code, 0, created.stderr);
      const id = created.stdout.trim();
      const watching = startFoodtruck(['jobs', 'watch', id, '--interval', '100ms'], { env, timeoutMs: 90_000 });
      await watching.waitFor(/0% 0\/1/);

      await server.stop();
      await watching.waitFor(/retrying with backoff/, 'stderr');
      server = await startServer({ dataDir, adminKey, nodesKey, port });
      const nodeUrl = `${server.url}/organizations/org/foodtruck/nodes/restart-1/tasks`;
      const next = await call(`${nodeUrl}/next`, { method: 'POST', key: nodesKey });
      assert.equal(next.status, 200);
      const report = { job_id: id, status: 'success', result: { exit_code: 0, reason: '' } };
      assert.equal((await call(`${nodeUrl}/status`, { method: 'POST', key: nodesKey, json: report })).status, 200);

      const run = await watching.done;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /All 1 node\(s\) succeeded\./);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 2, run.stderr);
      assert.match(lines[0] as string, /^foodtruck: cannot reach the server at .*; retrying with backoff/);
      assert.equal(lines[1], 'foodtruck: the server answers again; carrying on');
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});

/** A port that was free a moment ago: connecting to it is refused. */
async function portNobodyListensOn(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
