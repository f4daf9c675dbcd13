import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** The resident set size of a process in kB (`VmRSS` of `/proc/<pid>/status`), or undefined once it is gone. */
export function rssKb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export const mb = (kb: number) => kb / 1024;

/** Samples a process's RSS every `intervalMs` and keeps the peak since the last {@link reset}. */
export class RssSampler {
  private peakKb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }

  private sample(): void {
    const kb = rssKb(this.pid);
    if (kb !== undefined && kb > this.peakKb) this.peakKb = kb;
  }

  /** Starts a new phase: the peak is the current RSS. */
  reset(): void {
    this.peakKb = 0;
    this.sample();
  }

  /** The peak RSS since the last reset, in MB. */
  peakMb(): number {
    this.sample();
    return mb(this.peakKb);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface LatencyStats {
  samples: number;
  /** Probes that failed or did not answer 200. */
  failures: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function latencyStats(latencies: number[], failures: number): LatencyStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);
  return {
    samples: latencies.length,
    failures,
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    max_ms: round(sorted.length > 0 ? sorted[sorted.length - 1] : null),
  };
}

/**
 * Sends `GET url` every `intervalMs` (whether or not the previous probe has answered, as a load balancer
 * would) and records each answer's latency. A probe that fails or answers other than 200 counts as a failure
 * and its latency is recorded too.
 */
export class LatencyProbe {
  private readonly latencies: number[] = [];
  private failures = 0;
  private readonly pending = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly url: string,
    intervalMs = 200,
  ) {
    this.timer = setInterval(() => this.probe(), intervalMs);
    this.probe();
  }

  private probe(): void {
    const started = performance.now();
    const done = fetch(this.url)
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.status !== 200) this.failures++;
      })
      .catch(() => {
        this.failures++;
      })
      .finally(() => {
        this.latencies.push(performance.now() - started);
        this.pending.delete(done);
      });
    this.pending.add(done);
  }

  /** Stops probing, waits for the probes in flight and answers the statistics. */
  async stop(): Promise<LatencyStats> {
    clearInterval(this.timer);
    await Promise.all([...this.pending]);
    return latencyStats(this.latencies, this.failures);
  }

  /** Every latency recorded, in ms. */
  get values(): readonly number[] {
    return this.latencies;
  }
}
