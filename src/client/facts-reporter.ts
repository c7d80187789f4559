// Sends the node's facts when they differ from the last ones the server took: at start, and when
// a check finds them changed (a new configuration, an upgraded system). A hash of the last facts
// delivered is kept in the state directory, so a restart with the same facts sends nothing.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import type { Logger } from './log.js';
import { ServerUnavailableError, type NodeApi } from './node-api.js';
import type { FactsJson } from './node-facts.js';

export const FACTS_HASH_FILE = 'facts.sha256';

export class FactsReporter {
  private readonly hashFile: string;
  /** The facts last delivered, or last refused (not sent again until they change). */
  private settledHash: string | undefined;

  constructor(
    private readonly api: Pick<NodeApi, 'reportFacts'>,
    stateDir: string,
    private readonly collect: () => FactsJson,
    private readonly logger: Logger,
  ) {
    this.hashFile = path.join(stateDir, FACTS_HASH_FILE);
    this.settledHash = readHash(this.hashFile);
  }

  /** Reports the facts if they changed; true when nothing is left to send. Never throws for the network. */
  async reportIfChanged(): Promise<boolean> {
    const facts = this.collect();
    const body = JSON.stringify(facts);
    const hash = createHash('sha256').update(body).digest('hex');
    if (hash === this.settledHash) return true;
    let answer;
    try {
      answer = await this.api.reportFacts(body);
    } catch (error) {
      if (!(error instanceof ServerUnavailableError)) throw error;
      this.logger.warn('facts not reported, will try again', { error: error.message });
      return false;
    }
    this.settledHash = hash;
    if (answer.kind === 'accepted') {
      this.logger.info('facts reported', { os: facts.os, os_version: facts.os_version, arch: facts.arch, tags: facts.tags.join(',') });
      try {
        writeFileAtomic(this.hashFile, `${hash}\n`);
      } catch (error) {
        this.logger.warn('cannot remember the reported facts; they will be sent again at the next start', {
          error: (error as Error).message,
        });
      }
    } else {
      // An older server without the route (404), or facts it refuses: not retried until they change.
      this.logger.warn('facts refused by the server', { answer: answer.status, message: answer.message });
    }
    return true;
  }
}

function readHash(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
