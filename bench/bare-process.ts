// The bare node:http server (bare-server.ts) started as its own process, for the benches that
// measure beside it.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface BareServer {
  url: string;
  /** Unused: the bare server checks no key. */
  nodesKey: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

/** How many requests the bare server holds unanswered. */
export async function bareHeldCount(server: { url: string }): Promise<number> {
  return Number(await (await fetch(`${server.url}/held`)).text());
}

export async function startBareServer(): Promise<BareServer> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./bare-server.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout.setEncoding('utf8'), 'data')) as [string];
  const port = Number(/listening on (\d+)/.exec(line)?.[1]);
  return {
    url: `http://127.0.0.1:${port}`,
    nodesKey: 'unused',
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
