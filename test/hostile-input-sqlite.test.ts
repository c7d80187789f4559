import { defineHostileInputSuite } from './hostile-input-suite.js';

defineHostileInputSuite('sqlite', async () => ({ env: {}, dispose: async () => {} }));
