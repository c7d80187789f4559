// The MongoDB "migration": collections and indexes, created idempotently at every start-up.
// Creating an index that already exists with the same definition changes nothing, so every server
// process of a deployment runs this safely, at the same time if need be.

import type { Db, Document, IndexDescription } from 'mongodb';

export const JOBS_COLLECTION = 'jobs';
export const TASKS_COLLECTION = 'tasks';
export const HAND_OUTS_COLLECTION = 'handouts';
export const CHECK_INS_COLLECTION = 'node_check_ins';
export const SLOTS_COLLECTION = 'slots';
export const NODE_KEYS_COLLECTION = 'node_keys';

interface CollectionLayout {
  name: string;
  /**
   * The field a sharded deployment splits the collection by. Tasks go by node ("org/name"): a
   * node's poll, claim and report all name it, so each touches a single shard.
   */
  shardKey: string;
  indexes: IndexDescription[];
}

export const COLLECTION_LAYOUTS: readonly CollectionLayout[] = [
  {
    name: JOBS_COLLECTION,
    shardKey: '_id',
    indexes: [
      { name: 'newest_first', key: { createdAt: -1, _id: -1 } },
      { name: 'by_provider', key: { provider: 1, createdAt: -1, _id: -1 } },
      // The job feed: each server process reads the jobs stored in the last few seconds.
      { name: 'by_stored_at', key: { storedAt: 1 } },
    ],
  },
  {
    name: TASKS_COLLECTION,
    shardKey: 'node',
    indexes: [
      // Starts with the shard key: a unique index on a sharded collection must.
      { name: 'by_node_and_job', key: { node: 1, jobId: 1 }, unique: true },
      { name: 'claimable', key: { node: 1, status: 1, windowStart: 1, jobId: 1 } },
      { name: 'by_job', key: { jobId: 1, idx: 1 } },
      { name: 'by_job_and_status', key: { jobId: 1, status: 1, idx: 1 } },
      // A rate-controlled job's live tasks, counted before a hand-out.
      { name: 'by_job_status_and_lease', key: { jobId: 1, status: 1, leaseExpiresAt: 1 } },
      // The node listing walks the targeted nodes not forgotten (`forgottenAt` absent) in (org, name)
      // order, however many forgotten tasks there are. (It replaces `by_org_and_name`, which
      // databases set up before it keep, unused.)
      { name: 'listed_by_org_and_name', key: { forgottenAt: 1, org: 1, name: 1 } },
    ],
  },
  {
    // One record per task handed out, unique by `_id`: see claimNextTask in mongo-store.ts.
    name: HAND_OUTS_COLLECTION,
    shardKey: 'node',
    indexes: [],
  },
  {
    // Concurrency slots of rate-controlled jobs, unique by `_id`: see #takeSlot in mongo-store.ts.
    name: SLOTS_COLLECTION,
    shardKey: 'jobId',
    indexes: [{ name: 'current_of_job', key: { jobId: 1, superseded: 1 } }],
  },
  {
    // One document per node, `_id` "org/name": when it last polled. Written in batches.
    name: CHECK_INS_COLLECTION,
    shardKey: '_id',
    indexes: [
      { name: 'by_org_and_name', key: { org: 1, name: 1 } },
      // Selectors (Store.selectNodes) seek by a tag or an attribute pair, then sort the few found.
      { name: 'by_tag', key: { tags: 1 } },
      { name: 'by_attribute', key: { attributePairs: 1 } },
    ],
  },
  {
    // One document per node, `_id` "org/name": its public key. The unique `_id` decides which of
    // two concurrent enrollments wins.
    name: NODE_KEYS_COLLECTION,
    shardKey: '_id',
    indexes: [],
  },
];

/** What differs between the deployments this driver supports. */
export interface DeploymentProfile {
  name: string;
  /**
   * Azure Cosmos DB fixes a collection's shard key when it is created, with its `CreateCollection`
   * custom action; MongoDB creates collections on first use and is sharded by its operator.
   */
  createsCollectionsWithShardKey: boolean;
}

export const DEPLOYMENT_PROFILES = {
  mongodb: { name: 'MongoDB', createsCollectionsWithShardKey: false },
  cosmos: { name: 'Azure Cosmos DB (MongoDB API)', createsCollectionsWithShardKey: true },
} as const satisfies Record<string, DeploymentProfile>;

/** What a database already has: collection names, and the index names of each collection. */
export type ExistingSchema = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * The commands that bring a database with `existing` collections and indexes up to date, in order.
 * One index per command: FerretDB 1.24 drops the connection when one command names several
 * indexes of which some exist.
 */
export function setupCommands(profile: DeploymentProfile, existing: ExistingSchema): Document[] {
  const commands: Document[] = [];
  if (profile.createsCollectionsWithShardKey) {
    for (const layout of COLLECTION_LAYOUTS) {
      if (existing.has(layout.name)) continue;
      commands.push({ customAction: 'CreateCollection', collection: layout.name, shardKey: layout.shardKey });
    }
  }
  for (const layout of COLLECTION_LAYOUTS) {
    const indexes = existing.get(layout.name);
    for (const index of layout.indexes) {
      if (!indexes?.has(index.name as string)) commands.push({ createIndexes: layout.name, indexes: [index] });
    }
  }
  return commands;
}

export async function setUpCollections(db: Db, profile: DeploymentProfile): Promise<void> {
  for (const command of setupCommands(profile, await existingSchema(db))) {
    try {
      await db.command(command);
    } catch (error) {
      // Another server process starting at the same moment may have created it first.
      const created = typeof command.collection === 'string' && (await existingSchema(db)).has(command.collection);
      if (!created) throw error;
    }
  }
}

async function existingSchema(db: Db): Promise<Map<string, Set<string>>> {
  const schema = new Map<string, Set<string>>();
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
    const indexes = await db.collection(name).listIndexes().toArray();
    schema.set(name, new Set(indexes.map((index) => String(index.name))));
  }
  return schema;
}
