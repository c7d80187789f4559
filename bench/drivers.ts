// The storage drivers the bench measures, each with the server environment that selects it.

import { makeTempDir } from '../test/support/temp-dir.js';

export interface PreparedDriver {
  env: Record<string, string | undefined>;
  dispose: () => Promise<void>;
}

export interface BenchDriver {
  name: string;
  /** Undefined when the driver cannot run here; `unavailableReason` says why. */
  prepare: () => Promise<PreparedDriver | undefined>;
  unavailableReason?: string;
}

export function benchDrivers(): BenchDriver[] {
  return [
    {
      name: 'sqlite',
      prepare: async () => {
        // startServer gives each server its own data directory; this one only anchors temp files.
        const temp = makeTempDir('foodtruck-bench-');
        return { env: {}, dispose: async () => temp.remove() };
      },
    },
  ];
}
