// The commands the MongoDB store sends to set a database up. Cosmos DB cannot be reached from
// here, so its commands are checked as data: exactly what would go over the wire.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COLLECTION_LAYOUTS, DEPLOYMENT_PROFILES, setupCommands } from '../src/store/mongodb/collection-setup.js';

const JOBS_INDEXES = [
  { createIndexes: 'jobs', indexes: [{ name: 'newest_first', key: { createdAt: -1, _id: -1 } }] },
  { createIndexes: 'jobs', indexes: [{ name: 'by_provider', key: { provider: 1, createdAt: -1, _id: -1 } }] },
  { createIndexes: 'jobs', indexes: [{ name: 'by_stored_at', key: { storedAt: 1 } }] },
];
const TASKS_INDEXES = [
  { createIndexes: 'tasks', indexes: [{ name: 'by_node_and_job', key: { node: 1, jobId: 1 }, unique: true }] },
  { createIndexes: 'tasks', indexes: [{ name: 'claimable', key: { node: 1, status: 1, windowStart: 1, jobId: 1 } }] },
  { createIndexes: 'tasks', indexes: [{ name: 'by_job', key: { jobId: 1, idx: 1 } }] },
  { createIndexes: 'tasks', indexes: [{ name: 'by_job_and_status', key: { jobId: 1, status: 1, idx: 1 } }] },
  { createIndexes: 'tasks', indexes: [{ name: 'by_job_status_and_lease', key: { jobId: 1, status: 1, leaseExpiresAt: 1 } }] },
  { createIndexes: 'tasks', indexes: [{ name: 'listed_by_org_and_name', key: { forgottenAt: 1, org: 1, name: 1 } }] },
];
const SLOTS_INDEXES = [{ createIndexes: 'slots', indexes: [{ name: 'current_of_job', key: { jobId: 1, superseded: 1 } }] }];
const CHECK_INS_INDEXES = [
  { createIndexes: 'node_check_ins', indexes: [{ name: 'by_org_and_name', key: { org: 1, name: 1 } }] },
  { createIndexes: 'node_check_ins', indexes: [{ name: 'by_tag', key: { tags: 1 } }] },
  { createIndexes: 'node_check_ins', indexes: [{ name: 'by_attribute', key: { attributePairs: 1 } }] },
];
const nothing = new Map<string, Set<string>>();

describe('MongoDB collection setup', () => {
  it('creates every collection on Cosmos DB with its shard key before any index', () => {
    assert.deepEqual(setupCommands(DEPLOYMENT_PROFILES.cosmos, nothing), [
      { customAction: 'CreateCollection', collection: 'jobs', shardKey: '_id' },
      { customAction: 'CreateCollection', collection: 'tasks', shardKey: 'node' },
      { customAction: 'CreateCollection', collection: 'handouts', shardKey: 'node' },
      { customAction: 'CreateCollection', collection: 'slots', shardKey: 'jobId' },
      { customAction: 'CreateCollection', collection: 'node_check_ins', shardKey: '_id' },
      { customAction: 'CreateCollection', collection: 'node_keys', shardKey: '_id' },
      ...JOBS_INDEXES,
      ...TASKS_INDEXES,
      ...SLOTS_INDEXES,
      ...CHECK_INS_INDEXES,
    ]);
  });

  it('creates only what is missing, on Cosmos DB as on MongoDB', () => {
    const existing = new Map([
      ['jobs', new Set(['_id_', 'newest_first', 'by_provider', 'by_stored_at'])],
      ['handouts', new Set(['_id_'])],
      ['slots', new Set(['_id_', 'current_of_job'])],
      ['node_check_ins', new Set(['_id_', 'by_org_and_name', 'by_tag', 'by_attribute'])],
      ['node_keys', new Set(['_id_'])],
      ['unrelated', new Set(['_id_'])],
    ]);
    assert.deepEqual(setupCommands(DEPLOYMENT_PROFILES.cosmos, existing), [
      { customAction: 'CreateCollection', collection: 'tasks', shardKey: 'node' },
      ...TASKS_INDEXES,
    ]);
    existing.set('tasks', new Set(['_id_', 'by_node_and_job', 'claimable', 'by_job']));
    assert.deepEqual(setupCommands(DEPLOYMENT_PROFILES.cosmos, existing), TASKS_INDEXES.slice(3));
    assert.deepEqual(setupCommands(DEPLOYMENT_PROFILES.mongodb, existing), TASKS_INDEXES.slice(3));
    existing.get('tasks')?.add('by_job_and_status').add('by_job_status_and_lease').add('listed_by_org_and_name');
    assert.deepEqual(setupCommands(DEPLOYMENT_PROFILES.cosmos, existing), []);
  });

  it('sends MongoDB no custom action: only the indexes, which create the collections', () => {
    assert.deepEqual(setupCommands(DEPLOYMENT_PROFILES.mongodb, nothing), [
      ...JOBS_INDEXES,
      ...TASKS_INDEXES,
      ...SLOTS_INDEXES,
      ...CHECK_INS_INDEXES,
    ]);
  });

  it('keys every unique index of a sharded collection by the shard key first', () => {
    for (const layout of COLLECTION_LAYOUTS) {
      for (const index of layout.indexes) {
        if (index.unique) assert.equal(Object.keys(index.key)[0], layout.shardKey, `${layout.name}.${index.name}`);
      }
    }
  });
});
