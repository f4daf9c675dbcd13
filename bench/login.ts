/**
 * `npm run bench:login`: health latency while 60 logins run at once, against idle health in the same run.
 * Shows whether password hashing stalls the event loop. The login throttle is raised for the run so that
 * every login is hashed.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ADMIN, ROOT, ServiceUnderTest } from './service';

const CONCURRENT = 60;
const ROUNDS = 3;

async function timed(url: string, init?: RequestInit): Promise<{ ms: number; status: number }> {
  const start = performance.now();
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return { ms: performance.now() - start, status: response.status };
}

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1);
  return `${label}: n=${sorted.length} p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`;
}

async function main(): Promise<void> {
  process.env.LOGIN_THROTTLE_LIMIT = '100000';
  const service = await ServiceUnderTest.start(join(ROOT, 'bench', 'results', 'login.service.log'));
  try {
    const health = `${service.url}/api/health`;
    const idle: number[] = [];
    for (let i = 0; i < 200; i++) idle.push((await timed(health)).ms);

    const login = (i: number) =>
      timed(`${service.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: i % 3 === 0 ? `nobody-${i}@example.com` : ADMIN.email,
          password: i % 2 === 0 ? ADMIN.password : 'a-wrong-password',
        }),
      });
    const busy: number[] = [];
    const logins: number[] = [];
    const statuses = new Map<number, number>();
    let running = true;
    const sampler = (async () => {
      while (running) busy.push((await timed(health)).ms);
    })();
    const start = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      const answers = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => login(i)));
      for (const a of answers) {
        logins.push(a.ms);
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      }
    }
    const elapsed = performance.now() - start;
    running = false;
    await sampler;

    console.log(summary('health, idle', idle));
    console.log(summary(`health, during ${CONCURRENT} concurrent logins x ${ROUNDS}`, busy));
    console.log(summary('login', logins));
    console.log(
      `logins: ${logins.length} in ${(elapsed / 1000).toFixed(2)} s; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
  } finally {
    await service.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
