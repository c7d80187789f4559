// A simulated fleet in one process: `count` nodes, each polling tasks/next over keep-alive
// connections, either as long polls (`?wait=`, polling again as soon as one ends) or on an
// interval (the original client's way). Run by the bench as a child process; it prints one line
// per event on stdout:
//   polling <n>            every node has sent its first poll
//   task <index> <ms>      node <index> received a task at <ms> (Date.now())
//   error <text>           a poll failed (the node polls again after a second)
// Arguments, as JSON in argv[2]: { url, key, prefix, from, count, mode: 'hold' | 'interval',
// waitMs, intervalMs, sourceAddresses }. Stops on SIGTERM.

import http from 'node:http';

interface FleetOptions {
  url: string;
  key: string;
  prefix: string;
  from: number;
  count: number;
  mode: 'hold' | 'interval';
  waitMs: number;
  intervalMs: number;
  /** Loopback source addresses to spread connections over (each has about 28,000 ephemeral ports). */
  sourceAddresses: number;
}

const options = JSON.parse(process.argv[2] as string) as FleetOptions;
const target = new URL(options.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: Infinity, timeout: 0 });
let stopping = false;
const out: string[] = [];
const flush = () => {
  if (out.length > 0) process.stdout.write(out.splice(0).join(''));
};
// Not unref'd: the fleet lives until SIGTERM, even once every node has its task.
setInterval(flush, 50);

function poll(index: number): void {
  if (stopping) return;
  const name = `${options.prefix}${options.from + index}`;
  const query = options.mode === 'hold' ? `?wait=${options.waitMs / 1000}s` : '';
  const request = http.request({
    agent,
    host: target.hostname,
    port: target.port,
    method: 'POST',
    path: `/organizations/bench/foodtruck/nodes/${name}/tasks/next${query}`,
    headers: { authorization: `Bearer ${options.key}`, 'content-length': '0' },
    localAddress: `127.0.0.${2 + (index % options.sourceAddresses)}`,
  });
  request.on('response', (response) => {
    response.resume();
    response.on('end', () => {
      if (response.statusCode === 200) {
        out.push(`task ${options.from + index} ${Date.now()}\n`);
        return;
      }
      if (response.statusCode !== 404) out.push(`error ${name}: ${response.statusCode}\n`);
      if (options.mode === 'hold' && response.statusCode === 404) poll(index);
      else setTimeout(poll, response.statusCode === 404 ? options.intervalMs : 1_000, index);
    });
  });
  request.on('error', (error) => {
    if (stopping) return;
    out.push(`error ${name}: ${error.message}\n`);
    setTimeout(poll, 1_000, index);
  });
  request.end();
}

// Connections open in steps, as a real fleet's would, not 10,000 at the same instant.
const STEP = 500;
for (let start = 0; start < options.count; start += STEP) {
  for (let i = start; i < Math.min(start + STEP, options.count); i++) {
    if (options.mode === 'hold') poll(i);
    // Interval polling: each node at its own point of the interval.
    else setTimeout(poll, Math.random() * options.intervalMs, i);
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}
out.push(`polling ${options.count}\n`);
flush();

process.on('SIGTERM', () => {
  stopping = true;
  flush();
  agent.destroy();
  process.exit(0);
});
