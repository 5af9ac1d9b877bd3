/**
 * End to end: build the page with Vite, serve it on loopback, drive Debian's Chromium with
 * playwright-core: start training, see the loss fall below 1e-3 and the charts redraw, pause and
 * see the steps stop, continue, reset; a screenshot goes to test-output/live.png.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it), or CHROMIUM_PATH.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const outputDir = join(root, 'test-output');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
// The networking flags keep Chromium from calling out into a closed network at every start.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface LiveState {
  step: number;
  loss: number | null;
  recentLoss: number;
  running: boolean;
  status: string;
  rate: number;
  redraws: { loss: number; fit: number };
  hidden: number[];
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** A static file server for dist/ on 127.0.0.1 and a free port. */
function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    let file = normalize(join(dir, path));
    if (file !== dir && !file.startsWith(dir + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      if (addr === null || typeof addr === 'string') throw new Error('live test: no port');
      resolve({ server, url: `http://127.0.0.1:${addr.port}/` });
    });
  });
}

describe('examples/live in Chromium', () => {
  let server: Server | undefined;
  let url = '';
  let context: BrowserContext | undefined;
  let page: Page;
  let userDataDir = '';
  const errors: string[] = [];
  const state = (): Promise<LiveState> => page.evaluate(() => (globalThis as unknown as { fluxionLive: { state(): LiveState } }).fluxionLive.state());
  const lossCanvas = (): Promise<string> => page.evaluate(() => document.querySelector<HTMLCanvasElement>('#loss-chart canvas')!.toDataURL());

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`live test: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
    // Build with Vite in a child process (production mode, whatever NODE_ENV the test runner set).
    const vite = join(dirname(createRequire(join(root, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
    execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn', '--outDir', dist, '--emptyOutDir'], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    ({ server, url } = await serve(dist));
    userDataDir = mkdtempSync(join(tmpdir(), 'fluxion-live-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1240, height: 640 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('trains in the page: the loss falls below 1e-3 while the charts redraw; pause stops the steps; continue and reset work', async () => {
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset['status'] === 'ready');
    expect(await page.title()).toContain('Fluxion live');
    const s0 = await state();
    expect(s0).toMatchObject({ step: 0, running: false, status: 'ready', hidden: [16, 32] });
    expect(await page.textContent('#model')).toContain('MLP 1→16→32→1');

    await page.click('#start');
    await page.waitForFunction(() => document.body.dataset['status'] === 'running');
    // The geometric mean of the last 100 losses, so one lucky batch does not count.
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { fluxionLive: { state(): LiveState } }).fluxionLive.state();
        // The page redraws its numbers ten times a second: wait for the text as well as the state.
        const shown = Number(document.querySelector('#avg')?.textContent);
        return s.step > 100 && s.recentLoss < 1e-3 && shown < 1e-3;
      },
      undefined,
      { timeout: 45_000, polling: 100 },
    );
    const s1 = await state();
    expect(s1.running).toBe(true);
    expect(s1.loss).toBeLessThan(1e-2);
    // The numbers on the page say the same: a loss and a rate in steps per second.
    expect(Number(await page.textContent('#avg'))).toBeLessThan(1e-3);
    expect(Number(await page.textContent('#rate'))).toBeGreaterThan(50);

    // The charts keep redrawing while it trains: the draw counters grow and the picture changes.
    const canvasBefore = await lossCanvas();
    await page.waitForTimeout(400);
    const s2 = await state();
    expect(s2.redraws.loss).toBeGreaterThan(s1.redraws.loss);
    expect(s2.redraws.fit).toBeGreaterThan(s1.redraws.fit);
    expect(s2.step).toBeGreaterThan(s1.step);
    expect(await lossCanvas()).not.toBe(canvasBefore);

    mkdirSync(outputDir, { recursive: true });
    await page.click('#pause');
    await page.waitForFunction(() => document.body.dataset['status'] === 'paused');
    const paused = await state();
    await page.waitForTimeout(600);
    const later = await state();
    expect(later.running).toBe(false);
    expect(later.step).toBe(paused.step);
    expect(Number(await page.textContent('#step'))).toBe(paused.step);
    await page.screenshot({ path: join(outputDir, 'live.png'), fullPage: true });
    expect(existsSync(join(outputDir, 'live.png'))).toBe(true);

    // Continue from the last checkpoint: steps go on from where they stopped.
    expect(await page.textContent('#start')).toBe('Continue');
    await page.click('#start');
    await page.waitForFunction((n) => (globalThis as unknown as { fluxionLive: { state(): LiveState } }).fluxionLive.state().step > n + 20, paused.step);
    await page.click('#pause');

    // Reset with other hidden sizes: back to step 0 with the new model.
    await page.fill('#hidden', '8, 8');
    await page.click('#reset');
    await page.waitForFunction(() => document.body.dataset['status'] === 'ready');
    expect(await state()).toMatchObject({ step: 0, running: false, hidden: [8, 8] });
    expect(await page.textContent('#model')).toContain('MLP 1→8→8→1');

    expect(errors).toEqual([]);
  }, 90_000);
});
