// Requests answered, by route: counted in plain numbers, handed to the registry when scraped.
//
// Every request of the fleet passes here, tens of thousands a second. prom-client's own `inc` and
// `observe` build and hash the label set on every call (about 2 µs a request, measured: more than
// the rest of an empty poll's bookkeeping); a count and a bucket search cost next to nothing. The
// two series keep the names, labels and buckets they always had, and read as prom-client would
// write them: the registry asks each metric for its values (`get`) at the scrape, and these two
// answer from the counts.

import type { Metric, Registry } from 'prom-client';

/** The answers of one method on one route pattern. */
export class RouteAnswers {
  /** Answers by status code. */
  readonly #byStatus = new Map<number, number>();
  /** Observations per bucket (not cumulative); the last is the +Inf bucket. */
  readonly #buckets: number[];
  #sum = 0;
  #count = 0;

  constructor(
    readonly method: string,
    readonly route: string,
    private readonly upperBounds: readonly number[],
  ) {
    this.#buckets = new Array<number>(upperBounds.length + 1).fill(0);
  }

  /** Counts an answer with its status and how long it took. */
  record(statusCode: number, seconds: number): void {
    this.#byStatus.set(statusCode, (this.#byStatus.get(statusCode) ?? 0) + 1);
    let bucket = 0;
    while (bucket < this.upperBounds.length && seconds > (this.upperBounds[bucket] as number)) bucket++;
    this.#buckets[bucket] = (this.#buckets[bucket] ?? 0) + 1;
    this.#sum += seconds;
    this.#count++;
  }

  get byStatus(): ReadonlyMap<number, number> {
    return this.#byStatus;
  }

  /** The histogram's series as Prometheus has them: cumulative buckets, then sum and count. */
  histogramValues(name: string): MetricValue[] {
    const labels = { method: this.method, route: this.route };
    const values: MetricValue[] = [];
    let cumulative = 0;
    this.upperBounds.forEach((bound, index) => {
      cumulative += this.#buckets[index] as number;
      values.push({ metricName: `${name}_bucket`, labels: { le: bound, ...labels }, value: cumulative });
    });
    values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...labels }, value: this.#count });
    values.push({ metricName: `${name}_sum`, labels, value: this.#sum });
    values.push({ metricName: `${name}_count`, labels, value: this.#count });
    return values;
  }

  reset(): void {
    this.#byStatus.clear();
    this.#buckets.fill(0);
    this.#sum = 0;
    this.#count = 0;
  }
}

interface MetricValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

export interface RequestMetricsOptions {
  registry: Registry;
  counter: { name: string; help: string };
  histogram: { name: string; help: string; buckets: readonly number[] };
}

export class RequestMetrics {
  readonly #routes = new Map<string, RouteAnswers>();
  readonly #upperBounds: readonly number[];

  constructor(options: RequestMetricsOptions) {
    this.#upperBounds = [...options.histogram.buckets].sort((x, y) => x - y);
    const routes = () => this.#routes.values();
    const reset = () => {
      for (const answers of routes()) answers.reset();
    };
    const { counter, histogram } = options;
    register(options.registry, {
      name: counter.name,
      help: counter.help,
      type: 'counter',
      aggregator: 'sum',
      reset,
      get: async () => ({
        name: counter.name,
        help: counter.help,
        type: 'counter',
        aggregator: 'sum',
        values: [...routes()].flatMap((answers) =>
          [...answers.byStatus].map(([statusCode, count]) => ({
            labels: { method: answers.method, route: answers.route, status_code: statusCode },
            value: count,
          })),
        ),
      }),
    });
    register(options.registry, {
      name: histogram.name,
      help: histogram.help,
      type: 'histogram',
      aggregator: 'sum',
      reset,
      get: async () => ({
        name: histogram.name,
        help: histogram.help,
        type: 'histogram',
        aggregator: 'sum',
        values: [...routes()].flatMap((answers) => answers.histogramValues(histogram.name)),
      }),
    });
  }

  /** The counts of `method` on `route`: look them up once, then `record` on every answer. */
  of(method: string, route: string): RouteAnswers {
    const key = `${method} ${route}`;
    let answers = this.#routes.get(key);
    if (!answers) {
      answers = new RouteAnswers(method, route, this.#upperBounds);
      this.#routes.set(key, answers);
    }
    return answers;
  }
}

/**
 * The registry takes any metric that answers `get` (and `reset`) as its own do; its type names only
 * prom-client's four classes, hence the cast.
 */
function register(registry: Registry, metric: { name: string; help: string; type: string; aggregator: string; reset: () => void; get: () => Promise<unknown> }): void {
  registry.registerMetric(metric as unknown as Metric);
}
