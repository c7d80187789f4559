import { defineContractSuite } from './contract-suite.js';

// The server picks the embedded store when no MongoDB is configured; startServer gives it a fresh data directory.
defineContractSuite('sqlite', async () => ({ env: {}, dispose: async () => {} }));
