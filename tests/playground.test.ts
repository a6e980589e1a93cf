import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

// The playground as a user sees it: built with `pnpm build:web`, served on 127.0.0.1 by `vite
// preview`, driven in Debian's Chromium headless. Screenshots of each view go to
// tests/output/playground/ (git-ignored). Chromium: /usr/bin/chromium (apt-get install chromium;
// .ci/run installs it when missing), or CHROMIUM=/path.
const ROOT = resolve(import.meta.dirname, '..');
const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'tests', 'output', 'playground');
const PORT = 4173 + (process.pid % 500);
let server: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;

type PageState = {
  backend: string;
  fused: boolean;
  simd: boolean;
  losses: { cost: number; loss: number }[];
  loaded: boolean;
  lastCopy?: { length: number; errors: number; scored: number };
  errors: string[];
};
const pageState = () => page.evaluate(() => (globalThis as unknown as { engram: unknown }).engram) as Promise<PageState>;

beforeAll(async () => {
  const build = spawnSync('npx', ['-y', 'pnpm@10', 'build:web'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  if (build.status !== 0) throw new Error(`pnpm build:web failed:\n${build.stdout}\n${build.stderr}`);
  server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], { cwd: join(ROOT, 'playground'), stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/`)).ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 1400 });
  page.on('pageerror', (e) => {
    throw e;
  });
  await page.goto(`http://127.0.0.1:${PORT}/`, { waitUntil: 'load' });
  await page.waitForFunction(() => (globalThis as unknown as { engram: { backend: string } }).engram.backend !== '', { timeout: 60_000 });
  mkdirSync(SHOTS, { recursive: true });
}, 360_000);

afterAll(async () => {
  await browser?.close();
  server?.kill();
});

describe('the engram playground in headless Chromium', () => {
  it('starts the wasm backend in a Web Worker', async () => {
    const s = await pageState();
    expect(s.backend).toBe('wasm');
    expect(s.fused).toBe(true); // the NTM's fused memory kernels serve the page's wasm backend
    expect(s.simd).toBe(true); // and run their WebAssembly SIMD twins inside the browser's worker
    expect(s.errors).toEqual([]);
  });

  it('the shipped trained model copies a length-40 sequence without error, heads drawn', async () => {
    await page.click('#load');
    await page.waitForFunction(() => (globalThis as unknown as { engram: { loaded: boolean } }).engram.loaded, { timeout: 60_000 });
    await page.select('#length', '40');
    await page.click('#copy');
    await page.waitForFunction(() => (globalThis as unknown as { engram: { lastCopy?: { length: number } } }).engram.lastCopy?.length === 40, {
      timeout: 60_000,
    });
    const s = await pageState();
    expect(s.errors).toEqual([]);
    expect(s.lastCopy).toEqual({ length: 40, errors: 0, scored: 320 });
    expect(await page.$eval('#copy-write', (c) => (c as unknown as { width: number }).width)).toBeGreaterThan(100);
    await new Promise((r) => setTimeout(r, 1500)); // the step-by-step drawing
    await page.screenshot({ path: join(SHOTS, 'copy-40.png'), fullPage: true });
    expect(statSync(join(SHOTS, 'copy-40.png')).size).toBeGreaterThan(10_000);
  });

  it('your own pattern is copied with the model', async () => {
    await page.click('#pattern tr:nth-child(2) td:nth-child(3)');
    await page.click('#copy-mine');
    await page.waitForFunction(() => (globalThis as unknown as { engram: { lastCopy?: { length: number } } }).engram.lastCopy?.length === 12, {
      timeout: 60_000,
    });
    expect((await pageState()).lastCopy?.errors).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'own-pattern.png'), fullPage: true });
  });

  it('on the cpu backend (?backend=cpu) the fused kernels serve too, and the model copies without error', async () => {
    const cpu = await (browser as Browser).newPage();
    try {
      await cpu.goto(`http://127.0.0.1:${PORT}/?backend=cpu`, { waitUntil: 'load' });
      await cpu.waitForFunction(() => (globalThis as unknown as { engram: { backend: string } }).engram.backend !== '', { timeout: 60_000 });
      await cpu.click('#load');
      await cpu.waitForFunction(() => (globalThis as unknown as { engram: { loaded: boolean } }).engram.loaded, { timeout: 60_000 });
      await cpu.select('#length', '10');
      await cpu.click('#copy');
      await cpu.waitForFunction(() => (globalThis as unknown as { engram: { lastCopy?: { length: number } } }).engram.lastCopy?.length === 10, {
        timeout: 60_000,
      });
      const s = (await cpu.evaluate(() => (globalThis as unknown as { engram: unknown }).engram)) as PageState;
      expect({ backend: s.backend, fused: s.fused, errors: s.lastCopy?.errors, pageErrors: s.errors }).toEqual({
        backend: 'cpu',
        fused: true,
        errors: 0,
        pageErrors: [],
      });
    } finally {
      await cpu.close();
    }
  });

  it('a few training steps in the page lower the loss', async () => {
    await page.click('#train');
    await page.waitForFunction(() => (globalThis as unknown as { engram: { losses: unknown[] } }).engram.losses.length >= 8, {
      timeout: 180_000,
      polling: 500,
    });
    await page.click('#stop');
    const { losses } = await pageState();
    const first = losses.slice(0, 2).reduce((a, b) => a + b.loss, 0) / 2;
    const last = losses.slice(-2).reduce((a, b) => a + b.loss, 0) / 2;
    expect(last).toBeLessThan(first);
    await page.screenshot({ path: join(SHOTS, 'training.png'), fullPage: true });
  });
});
