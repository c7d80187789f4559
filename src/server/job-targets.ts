// A job's `targets` selector, resolved once, at creation, into the explicit node list: the nodes
// given in `nodes` first, in their order, then the selected ones in (org, name) order, without
// duplicates. From then on the job is an ordinary job of explicit nodes.

import type { Store } from '../store/store.js';
import type { NewJob } from '../wire/job-request.js';
import { badRequest } from './errors.js';

export async function resolveJobTargets(store: Store, job: NewJob, maxNodes: number, now: Date): Promise<NewJob> {
  if (!job.targets) return job;
  const given = new Set(job.nodes.map((node) => `${node.org}/${node.name}`));
  // One more than allowed is enough to know the job is too large.
  const selected = await store.selectNodes(job.targets, { limit: maxNodes + 1 }, now);
  if (selected.items.length === 0) {
    throw badRequest(
      'targets match no nodes: a selector picks among nodes that polled or reported facts, and nodes that ' +
        'never reported facts match no tag, attribute, os, os_version or arch (preview with POST /admin/nodes/resolve)',
    );
  }
  const nodes = [...job.nodes];
  for (const node of selected.items) {
    if (!given.has(`${node.org}/${node.name}`)) nodes.push(node);
  }
  if (nodes.length > maxNodes) {
    throw badRequest(`too many nodes: targets and nodes pick more than ${maxNodes}, at most ${maxNodes} per job`);
  }
  return { ...job, nodes };
}
