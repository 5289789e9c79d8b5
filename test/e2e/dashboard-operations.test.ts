/**
 * The dashboard's operations pages in headless Chromium against a real
 * server (embedded engine, tokens on): the workers page lists a running
 * worker with its tags; the streams page shows a running stream's
 * counters move and a chart of its window results; a dial changed from
 * the page (engine and stream) appears in the audit log with the token's
 * name; a read-only token cannot change one. Screenshots go to
 * test/e2e/artifacts/ (gitignored).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SystemClock } from '../../src/core/clock.js';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { TokenRegistry } from '../../src/server/auth/token-registry.js';
import { createServer } from '../../src/server/create-server.js';
import { DEFAULT_DASHBOARD_ROOT } from '../../src/server/static.js';
import { count } from '../../src/streams/aggregates/numeric-aggregates.js';
import { registerStreamRoutes } from '../../src/streams/http/stream-routes.js';
import { startMicroBatch, type RunningMicroBatch } from '../../src/streams/runtime/micro-batch.js';
import { stream } from '../../src/streams/runtime/pipeline.js';
import { startPipeline, type RunningPipeline } from '../../src/streams/runtime/run-pipeline.js';
import { tableSink } from '../../src/streams/runtime/sinks.js';
import { createStreamStore } from '../../src/streams/runtime/stream-store.js';
import { eventTime } from '../../src/streams/time/time-assigner.js';
import { tumbling } from '../../src/streams/windows/window-spec.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { launchChromium, requireChromium, signIn as signInAs, UI_TIMEOUT } from './browser.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const skip = requireChromium();

interface Click { page: string; at: number }

const perPage = stream<Click>('e2e-clicks', { topic: 'e2e-clicks' })
  .keyBy((click) => click.page, { time: eventTime<Click>('at'), partitions: 2 })
  .window(tumbling({ size: 500 }))
  .aggregate(count)
  .to(tableSink('e2e-page-counts'));

describe('dashboard operations pages in Chromium', { skip }, () => {
  let dir: TempDir;
  let millrace: Millrace;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let pipeline: RunningPipeline;
  let batches: RunningMicroBatch;
  let feeder: ReturnType<typeof setInterval> | undefined;
  const tokens: Record<'read' | 'operate', string> = { read: '', operate: '' };
  const problems: string[] = [];

  before(async () => {
    if (!existsSync(join(DEFAULT_DASHBOARD_ROOT, 'index.html'))) {
      const built = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', 'web', '--logLevel', 'warn'], { encoding: 'utf8' });
      assert.equal(built.status, 0, `building the dashboard: ${built.stderr}`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 1, logLevel: 'silent' });
    await millrace.startWorker({ tasks: new URL('../fixtures/tasks.ts', import.meta.url), tags: ['e2e-canary'], untagged: true, heartbeatMs: 500 });
    await millrace.startOrchestrator();
    await millrace.log.createTopic('e2e-clicks', { partitions: 2 });
    await millrace.log.createTopic('e2e-orders', { partitions: 1 });
    const store = createStreamStore(millrace.log, millrace.checkpoints);
    pipeline = await startPipeline(perPage, { store, pollIntervalMs: 50 });
    batches = await startMicroBatch({ name: 'e2e-orders-batch', store, source: { topic: 'e2e-orders' }, handler: () => undefined, dials: { maxMessages: 100 } });
    // A steady trickle of clicks on three pages, so counters move and windows close while the pages watch.
    let n = 0;
    feeder = setInterval(() => {
      const now = Date.now();
      void millrace.log.append('e2e-clicks', Array.from({ length: 5 }, () => ({ key: `page-${n % 3}`, value: { page: `page-${n++ % 3}`, at: now } }))).catch(() => undefined);
    }, 100);
    const registry = new TokenRegistry({ events: millrace.events, clock: new SystemClock() });
    tokens.read = (await registry.create('viewer', 'read')).token;
    tokens.operate = (await registry.create('operator', 'operate')).token;
    app = await createServer({
      orchestrator: millrace.orchestrator, queue: millrace.queue, log: millrace.log, logger: millrace.logger, events: millrace.events, tokens: registry,
      plugins: [(server) => registerStreamRoutes(server, { log: millrace.log, checkpoints: millrace.checkpoints, pipelines: [perPage], microBatches: [{ name: 'e2e-orders-batch', source: 'e2e-orders', dials: { maxMessages: 100 } }] })],
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });
  after(async () => {
    clearInterval(feeder);
    await browser?.close();
    await app?.close();
    await pipeline?.stop();
    await batches?.stop();
    await millrace?.close();
    dir?.remove();
  });

  const signIn = (token: string): Promise<{ context: BrowserContext; page: Page }> => signInAs(browser, base, token, problems);

  it('lists the running worker with its tags on the workers page', async () => {
    const { context, page } = await signIn(tokens.read);
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workers' }).click();
      await page.getByRole('heading', { name: 'Workers' }).waitFor();
      const row = page.getByTestId('worker-table').locator('tbody tr').filter({ hasText: 'e2e-canary' });
      await row.waitFor();
      assert.match(await row.innerText(), /up/);
      assert.match(await row.innerText(), new RegExp(`pid ${process.pid}`));
      await page.screenshot({ path: join(ARTIFACTS, 'workers.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('shows a running stream\'s counters move, its watermarks and a chart of its window results', async () => {
    const { context, page } = await signIn(tokens.read);
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Streams' }).click();
      await page.getByTestId('stream-table').getByRole('link', { name: 'e2e-clicks' }).click();
      const records = page.getByTestId('stream-records');
      await records.waitFor();
      const first = Number(await records.innerText());
      // Polled every 2 s: the counter moves without a reload.
      let latest = first;
      for (const started = Date.now(); latest <= first && Date.now() - started < UI_TIMEOUT; await sleep(200)) latest = Number(await records.innerText());
      assert.ok(latest > first, `the records counter moved without a reload (${first} → ${latest})`);
      await page.getByTestId('watermarks').locator('tbody tr').first().waitFor();
      // The results chart draws one line per page key once windows have closed.
      await page.getByTestId('window-results').locator('polyline').first().waitFor();
      await page.locator('figure.chart', { hasText: 'Throughput' }).locator('polyline').waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'streams.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('records a dial changed from the page in the audit log, engine and stream alike', async () => {
    const { context, page } = await signIn(tokens.operate);
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dials' }).click();
      await page.getByRole('heading', { name: 'Dials', level: 1 }).waitFor();
      await page.getByTestId('dial-name').selectOption('workers.concurrency');
      await page.getByTestId('dial-value').fill('7');
      await page.getByRole('button', { name: 'Change' }).click();
      const engineRow = page.getByTestId('dial-audit').locator('tbody tr').filter({ hasText: 'workers.concurrency' });
      await engineRow.waitFor();
      assert.match(await engineRow.innerText(), /operator\s+engine\s+workers\.concurrency\s+\(unset\)\s*→\s*7/);
      assert.match(await page.getByTestId('engine-dials').innerText(), /workers\.concurrency\s+7/);

      await page.goto(`${base}/streams/e2e-orders-batch`);
      await page.getByTestId('stream-dials').waitFor();
      await page.getByTestId('dial-name').selectOption('maxMessages');
      await page.getByTestId('dial-value').fill('25');
      await page.getByRole('button', { name: 'Change' }).click();
      await page.getByTestId('stream-dials').filter({ hasText: /maxMessages\s*25/ }).waitFor();
      await page.getByTestId('dial-audit').locator('tbody tr').filter({ hasText: 'maxMessages' }).waitFor();

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dials' }).click();
      const streamRow = page.getByTestId('dial-audit').locator('tbody tr').filter({ hasText: 'maxMessages' });
      await streamRow.waitFor();
      assert.match(await streamRow.innerText(), /operator\s+stream e2e-orders-batch\s+maxMessages\s+100\s*→\s*25/);
      await page.screenshot({ path: join(ARTIFACTS, 'dials.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('keeps a read-only token from changing a dial', async () => {
    const { context, page } = await signIn(tokens.read);
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dials' }).click();
      await page.getByTestId('engine-dials').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Change' }).isDisabled(), true);
    } finally {
      await context.close();
    }
  });

  it('ran without page errors or refused resources', () => {
    assert.deepEqual(problems, []);
  });
});
