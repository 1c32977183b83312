import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
type Args = Parameters<FastifyBaseLogger['info']>;

/**
 * A request's logger that becomes pino's child (bound to the request id) the first time it logs.
 * Fastify gives every request a child logger, and pino builds one by serializing its bindings:
 * ~2 µs per prediction on the bench machine, for a logger that a prediction never uses (requests
 * are not access-logged; only a failed request logs, through `req.log`). Fastify checks that a
 * custom child has the logging methods, so they are methods here, not a Proxy's traps, which that
 * check would trip.
 */
class LazyChildLogger {
  private real: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  private get log(): FastifyBaseLogger {
    return (this.real ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.log.level;
  }

  set level(level: string) {
    this.log.level = level;
  }

  fatal(...args: Args): void {
    this.log.fatal(...args);
  }
  error(...args: Args): void {
    this.log.error(...args);
  }
  warn(...args: Args): void {
    this.log.warn(...args);
  }
  info(...args: Args): void {
    this.log.info(...args);
  }
  debug(...args: Args): void {
    this.log.debug(...args);
  }
  trace(...args: Args): void {
    this.log.trace(...args);
  }
  silent(...args: Args): void {
    this.log.silent(...args);
  }
  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.log.child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: each request's child logger, built only if it is used. */
export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: NonNullable<ChildOptions>): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
