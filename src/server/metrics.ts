import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestMetrics, type RouteAnswers } from './request-metrics.js';

/** The server's Prometheus metrics, in a registry of its own so tests can run several servers. */
export class ServerMetrics {
  readonly registry = new Registry();
  /** `foodtruck_http_requests_total` and `foodtruck_http_request_duration_seconds`. */
  readonly requests = new RequestMetrics({
    registry: this.registry,
    counter: { name: 'foodtruck_http_requests_total', help: 'HTTP requests answered, by route pattern and status code' },
    histogram: {
      name: 'foodtruck_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route pattern',
      // Up to 60 s: a long poll is held for up to its `wait`.
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 30, 60],
    },
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
  /** `foodtruck_empty_polls_total`, counted in a plain number: see the constructor. */
  #emptyPolls = 0;
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

  /** Counts a tasks/next poll that found nothing to hand out. */
  countEmptyPoll(): void {
    this.#emptyPolls++;
  }

  /** Counts an answered request and its duration. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.requests.of(method, route).record(statusCode, seconds);
  }

  /** The counts of one method on one route, for a caller that answers it often (look up once). */
  routeAnswers(method: string, route: string): RouteAnswers {
    return this.requests.of(method, route);
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'foodtruck_' });
    // Counted at every empty poll of the fleet, where prom-client's `inc` (its label handling) is
    // a measurable part of the cost: a plain number, read at the scrape.
    const emptyPolls = () => this.#emptyPolls;
    new Counter({
      name: 'foodtruck_empty_polls_total',
      help: 'tasks/next polls that found nothing to hand out',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(emptyPolls());
      },
    });
  }
}
