// The request counter and duration histogram are counted in plain numbers: what /metrics shows
// must be exactly what prom-client's own Counter and Histogram show for the same answers.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { RequestMetrics } from '../src/server/request-metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 30, 60];
const COUNTER = { name: 'test_http_requests_total', help: 'answers' };
const HISTOGRAM = { name: 'test_http_request_duration_seconds', help: 'durations', buckets: BUCKETS };

/** Answers of a few routes and statuses, with durations in every bucket, on bounds and beyond the last. */
function answers(): Array<[string, string, number, number]> {
  const routes: Array<[string, string]> = [
    ['POST', '/organizations/:org/foodtruck/nodes/:name/tasks/next'],
    ['GET', '/admin/jobs'],
    ['HEAD', '/admin/jobs'],
  ];
  const list: Array<[string, string, number, number]> = [];
  let seed = 7;
  for (let i = 0; i < 500; i++) {
    seed = (seed * 48271) % 2147483647;
    const [method, route] = routes[seed % routes.length] as [string, string];
    const status = [200, 404, 400, 503][seed % 4] as number;
    const seconds = i % 25 === 0 ? (BUCKETS[i % BUCKETS.length] as number) : (seed % 100_000) / 1_000;
    list.push([method, route, status, seconds]);
  }
  return list;
}

describe('request metrics', () => {
  it('expose the same text as prom-client counting the same answers, and reset with the registry', async () => {
    const ours = new Registry();
    const requests = new RequestMetrics({ registry: ours, counter: COUNTER, histogram: HISTOGRAM });
    const theirs = new Registry();
    const counter = new Counter({ ...COUNTER, labelNames: ['method', 'route', 'status_code'], registers: [theirs] });
    const histogram = new Histogram({ ...HISTOGRAM, labelNames: ['method', 'route'], registers: [theirs] });
    for (const [method, route, status, seconds] of answers()) {
      requests.of(method, route).record(status, seconds);
      counter.inc({ method, route, status_code: String(status) });
      histogram.observe({ method, route }, seconds);
    }
    const sorted = (text: string) => text.split('\n').sort();
    assert.deepEqual(sorted(await ours.metrics()), sorted(await theirs.metrics()));

    ours.resetMetrics();
    theirs.resetMetrics();
    requests.of('GET', '/admin/jobs').record(200, 0.003);
    counter.inc({ method: 'GET', route: '/admin/jobs', status_code: '200' });
    histogram.observe({ method: 'GET', route: '/admin/jobs' }, 0.003);
    // prom-client forgets label sets at a reset; ours keeps them at zero, which Prometheus reads the same.
    const nonZero = (text: string) => sorted(text).filter((line) => line.startsWith('#') || / [^0]\S*$/.test(line));
    assert.deepEqual(nonZero(await ours.metrics()), nonZero(await theirs.metrics()));
  });
});
