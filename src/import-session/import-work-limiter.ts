/**
 * Bounds how many database connections import work holds at once in this instance: staging a file and
 * writing a confirm's batch each hold one for seconds. The pool keeps the rest (two, or half of a smaller
 * pool) for every other request, so that health checks, session reads and REST calls answer at once while
 * hundreds of imports run, instead of waiting for a connection and timing out. Work waits here, in order,
 * for as long as it takes, rather than in the pool, which gives up after its connection timeout.
 */
export class ImportWorkLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError('permits must be at least 1');
  }

  /** The permits for a pool of `poolSize` connections. */
  static forPool(poolSize: number): ImportWorkLimiter {
    return new ImportWorkLimiter(Math.max(1, poolSize - Math.min(2, Math.floor(poolSize / 2))));
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active < this.permits) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The permit passes straight to the next in line; with nobody waiting, it is given back.
      if (next) next();
      else this.active--;
    }
  }
}
