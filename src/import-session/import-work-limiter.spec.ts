import { ImportWorkLimiter } from './import-work-limiter';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ImportWorkLimiter', () => {
  it('keeps part of the pool for other requests', () => {
    expect(ImportWorkLimiter.forPool(10).permits).toBe(8);
    expect(ImportWorkLimiter.forPool(4).permits).toBe(2);
    expect(ImportWorkLimiter.forPool(2).permits).toBe(1);
    expect(ImportWorkLimiter.forPool(1).permits).toBe(1);
  });

  it('runs at most `permits` pieces of work at once, the others in the order they came', async () => {
    const limiter = new ImportWorkLimiter(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const jobs = [0, 1, 2, 3, 4].map((i) =>
      limiter.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    while (releases.length > 0) {
      releases.shift()!();
      await tick();
    }
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('gives the permit back when the work fails', async () => {
    const limiter = new ImportWorkLimiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
