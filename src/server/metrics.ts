import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

type RequestObserver = { count: () => void; observe: (seconds: number) => void };

/** The server's Prometheus metrics, in a registry of its own so tests can run several servers. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'foodtruck_http_requests_total',
    help: 'HTTP requests answered, by route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'foodtruck_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route pattern',
    labelNames: ['method', 'route'] as const,
    // Up to 60 s: a long poll is held for up to its `wait`.
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 30, 60],
    registers: [this.registry],
  });
  readonly jobsCreated = new Counter({
    name: 'foodtruck_jobs_created_total',
    help: 'Jobs accepted',
    registers: [this.registry],
  });
  readonly tasksCreated = new Counter({
    name: 'foodtruck_tasks_created_total',
    help: 'Node tasks created by accepted jobs (one per targeted node)',
    registers: [this.registry],
  });
  readonly tasksHandedOut = new Counter({
    name: 'foodtruck_tasks_handed_out_total',
    help: 'Tasks handed to nodes by tasks/next',
    registers: [this.registry],
  });
  readonly emptyPolls = new Counter({
    name: 'foodtruck_empty_polls_total',
    help: 'tasks/next polls that found nothing to hand out',
    registers: [this.registry],
  });
  readonly statusesReported = new Counter({
    name: 'foodtruck_statuses_reported_total',
    help: 'Status reports accepted from nodes, by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly tasksCancelled = new Counter({
    name: 'foodtruck_tasks_cancelled_total',
    help: 'Queued tasks cancelled by administrators',
    registers: [this.registry],
  });

  readonly heldPolls = new Gauge({
    name: 'foodtruck_held_polls',
    help: 'tasks/next long polls held by this process, waiting for a task',
    registers: [this.registry],
  });

  /** Reports the due index's size at each scrape. */
  watchDueNodes(size: () => number): void {
    new Gauge({
      name: 'foodtruck_due_nodes',
      help: 'Nodes this process knows to have a queued task (due now or later); polls of the others skip the store',
      registers: [this.registry],
      collect() {
        this.set(size());
      },
    });
  }

  /** Labelled children by "method route status": looked up once, not hashed again on every request. */
  readonly #requestObservers = new Map<string, RequestObserver>();

  /** Counts an answered request and its duration. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    const key = `${method} ${route} ${statusCode}`;
    let observer = this.#requestObservers.get(key);
    if (!observer) {
      const counter = this.requests.labels(method, route, String(statusCode));
      const histogram = this.requestDuration.labels(method, route);
      observer = { count: () => counter.inc(), observe: (value) => histogram.observe(value) };
      this.#requestObservers.set(key, observer);
    }
    observer.count();
    observer.observe(seconds);
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'foodtruck_' });
  }
}
