import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`). No browser is ever downloaded by a package. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless, no sandbox (the test may run as root, where Chromium's sandbox refuses to start), and nothing
 * that reaches the network by itself: the only traffic is the page under test.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-default-apps',
  '--disable-extensions',
  '--metrics-recording-only',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--disable-breakpad',
  '--disable-crash-reporter',
  '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
  '--password-store=basic',
  '--use-mock-keychain',
  '--disable-dev-shm-usage',
];

function run(command: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 15 * 60_000,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
  return { ok: result.status === 0, output };
}

const lastLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .pop() ?? 'no output';

/**
 * Makes sure Debian's Chromium is installed: answers `undefined` when it is (installing it with apt-get
 * first if needed: as root, or through a sudo that asks no password), or why it cannot be.
 */
export function ensureChromium(log: (line: string) => void): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  let prefix: string[];
  if (process.getuid?.() === 0) prefix = [];
  else if (run('sudo', ['-n', 'true']).ok) prefix = ['sudo', '-n', '--preserve-env=DEBIAN_FRONTEND'];
  else return `${CHROMIUM} is missing, and installing it needs root or a sudo that asks no password`;
  const apt = (...args: string[]) =>
    prefix.length ? run(prefix[0], [...prefix.slice(1), 'apt-get', ...args]) : run('apt-get', args);
  const install = () => apt('install', '-y', '--no-install-recommends', 'chromium');

  log(`${CHROMIUM} is missing: apt-get install -y chromium`);
  let result = install();
  if (!result.ok) {
    log('the install failed; apt-get update, then once more');
    const update = apt('update');
    if (!update.ok) return `apt-get update failed: ${lastLine(update.output)}`;
    result = install();
  }
  if (!result.ok) return `apt-get install chromium failed: ${lastLine(result.output)}`;
  if (!existsSync(CHROMIUM)) return `apt-get installed chromium, but ${CHROMIUM} is not there`;
  return undefined;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}
