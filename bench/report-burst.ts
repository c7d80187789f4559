// A whole job reporting at once. A fleet that long-polls gets a job's tasks together, so its nodes
// report `running` together and their results soon after. Measured: a job for `count` nodes, each
// node's task claimed, then every node's `running` sent at once, then every `success`: per stage,
// the time from the first request sent to the last answer, and the answers by status.

import http from 'node:http';

export interface BurstServer {
  url: string;
  adminKey: string;
  nodesKey: string;
}

export interface BurstStage {
  what: string;
  ms: number;
  /** Answers by HTTP status; 0 counts requests with no answer within the stage's deadline. */
  answers: Record<number, number>;
  /** The first answer that was not 200, to say what failed. */
  firstProblem: string | undefined;
}

/** A stage gives up on its requests after this long: a wedged database shows as unanswered. */
const STAGE_DEADLINE_MS = 120_000;
/** Connections to each server at once; the rest of a stage's requests queue in the agent. */
const SOCKETS_PER_SERVER = 1_000;

/** Runs the stages, the nodes split over `servers` in turn and the job created through the first. */
export async function measureReportBurst(servers: BurstServer[], count: number, prefix: string): Promise<BurstStage[]> {
  const agents = servers.map(() => new http.Agent({ keepAlive: true, maxSockets: SOCKETS_PER_SERVER }));
  try {
    const first = servers[0] as BurstServer;
    const now = Date.now();
    const nodes = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
    const job = {
      task: { window_start: new Date(now - 60_000).toISOString(), window_end: new Date(now + 3_600_000).toISOString(), provider: 'infra', spec: {} },
      nodes: nodes.map((name) => ({ org: 'bench', name })),
    };
    const created = await send(agents[0] as http.Agent, `${first.url}/admin/jobs`, first.adminKey, JSON.stringify(job), STAGE_DEADLINE_MS);
    if (created.status !== 200) throw new Error(`job: ${created.status} ${created.text}`);
    const jobId = (JSON.parse(created.text) as { id: string }).id;

    const stage = async (what: string, route: 'next' | 'status', body: string | undefined): Promise<BurstStage> => {
      const started = Date.now();
      const deadline = started + STAGE_DEADLINE_MS;
      const answers = await Promise.all(
        nodes.map((name, i) => {
          const server = servers[i % servers.length] as BurstServer;
          const url = `${server.url}/organizations/bench/foodtruck/nodes/${name}/tasks/${route}`;
          return send(agents[i % servers.length] as http.Agent, url, server.nodesKey, body, deadline - Date.now());
        }),
      );
      const byStatus: Record<number, number> = {};
      for (const answer of answers) byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
      const problem = answers.find((answer) => answer.status !== 200);
      return { what, ms: Date.now() - started, answers: byStatus, firstProblem: problem && `${problem.status} ${problem.text.slice(0, 200)}` };
    };
    const report = (status: string) => JSON.stringify({ job_id: jobId, status, result: { exit_code: 0, reason: '' } });
    return [
      await stage('claims (tasks/next)', 'next', undefined),
      await stage('"running" reports', 'status', report('running')),
      await stage('"success" reports', 'status', report('success')),
    ];
  } finally {
    for (const agent of agents) agent.destroy();
  }
}

function send(agent: http.Agent, url: string, key: string, body: string | undefined, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${key}` };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const request = http.request(url, { method: 'POST', agent, headers, signal: AbortSignal.timeout(Math.max(timeoutMs, 1)) }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', (error) => resolve({ status: 0, text: error.message }));
    });
    request.on('error', (error) => resolve({ status: 0, text: error.message }));
    request.end(body);
  });
}
