/**
 * The dashboard in headless Chromium against a real server (embedded
 * engine, worker threads, tokens on): sign in, start a process from the
 * page and watch its DAG turn green through live updates, retry the task
 * that failed one, cancel another from the page, look at queues, and see a
 * read-only token kept from cancelling. Screenshots go to test/e2e/artifacts/ (gitignored).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SystemClock } from '../../src/core/clock.js';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { TokenRegistry } from '../../src/server/auth/token-registry.js';
import { createServer } from '../../src/server/create-server.js';
import { DEFAULT_DASHBOARD_ROOT } from '../../src/server/static.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { hanging, repairable } from '../fixtures/processes.js';
import { launchChromium, requireChromium, signIn as signInAs, UI_TIMEOUT } from './browser.js';
import { gated } from './fixtures/gate-processes.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const skip = requireChromium();

describe('dashboard in Chromium', { skip }, () => {
  let dir: TempDir;
  let millrace: Millrace;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  const tokens: Record<'read' | 'operate', string> = { read: '', operate: '' };
  const problems: string[] = [];

  before(async () => {
    if (!existsSync(join(DEFAULT_DASHBOARD_ROOT, 'index.html'))) {
      const built = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', 'web', '--logLevel', 'warn'], { encoding: 'utf8' });
      assert.equal(built.status, 0, `building the dashboard: ${built.stderr}`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 2, logLevel: 'silent' });
    millrace.orchestrator.register(gated).register(hanging).register(repairable);
    await millrace.startWorker({ tasks: new URL('./fixtures/gate-tasks.ts', import.meta.url) });
    await millrace.startOrchestrator();
    const registry = new TokenRegistry({ events: millrace.events, clock: new SystemClock() });
    tokens.read = (await registry.create('viewer', 'read')).token;
    tokens.operate = (await registry.create('operator', 'operate')).token;
    app = await createServer({ orchestrator: millrace.orchestrator, queue: millrace.queue, logger: millrace.logger, events: millrace.events, tokens: registry });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await millrace?.close();
    dir?.remove();
  });

  /** Signed in, with the live feed connected. */
  async function signIn(token: string): Promise<{ context: BrowserContext; page: Page }> {
    const signedIn = await signInAs(browser, base, token, problems);
    await signedIn.page.getByTestId('live-status').filter({ hasText: /^live$/ }).waitFor();
    return signedIn;
  }

  const startThroughApi = async (definition: string, input: unknown): Promise<string> => {
    const response = await fetch(`${base}/api/processes`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.operate}` }, body: JSON.stringify({ definition, input }) });
    assert.equal(response.status, 201);
    return ((await response.json()) as { processId: string }).processId;
  };

  it('asks for a token, and refuses a wrong one', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(UI_TIMEOUT);
      await page.goto(`${base}/processes`);
      await page.getByLabel('API token').fill('mr_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'unknown or revoked' }).waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'login.png') });
    } finally {
      await context.close();
    }
  });

  it('starts a process from the page and watches its DAG turn green as it runs', async () => {
    const { context, page } = await signIn(tokens.operate);
    try {
      const gate = dir.file('gate');
      const form = page.locator('details.start');
      await form.getByText('Start a process').click();
      await form.getByLabel('Definition').fill('gated');
      await form.getByLabel('Input (JSON)').fill(JSON.stringify({ gate }));
      await form.getByRole('button', { name: 'Start' }).click();
      await page.waitForURL(/\/processes\/[^/]+$/);
      const node = (step: string) => page.locator(`g.dag-node[data-step="${step}"]`);
      await node('open').and(page.locator('[data-state="running"]')).waitFor();
      assert.equal(await node('total').getAttribute('data-state'), 'pending');
      assert.equal(await page.getByTestId('process-status').textContent(), 'running');
      await page.evaluate('window.notReloaded = true');
      await page.screenshot({ path: join(ARTIFACTS, 'process-running.png'), fullPage: true });

      writeFileSync(gate, 'open');
      await page.getByTestId('process-status').filter({ hasText: 'completed' }).waitFor();
      for (const step of ['open', 'squared', 'total']) await node(step).and(page.locator('[data-state="done"]')).waitFor();
      assert.equal(await page.evaluate('window.notReloaded'), true, 'the page changed through live updates, not a reload');
      assert.match(await node('squared').getAttribute('aria-label') ?? '', /squared: done, 3\/3 done/);
      assert.equal(await page.locator('g.dag-node').count(), 3);
      assert.equal(await page.locator('path.dag-edge').count(), 2);
      await page.getByText('14', { exact: true }).waitFor(); // output: 1 + 4 + 9
      await page.screenshot({ path: join(ARTIFACTS, 'process-completed.png'), fullPage: true });

      await page.getByRole('link', { name: '← Processes' }).click();
      await page.getByLabel('Status').selectOption('completed');
      await page.waitForURL(/status=completed/);
      await page.locator('tr[data-process] .status-completed').first().waitFor();
      assert.equal(await page.locator('tr[data-process] .status-running').count(), 0);
    } finally {
      await context.close();
    }
  });

  it('cancels a running process from its page', async () => {
    const processId = await startThroughApi('hanging', null);
    const { context, page } = await signIn(tokens.operate);
    try {
      await page.getByRole('link', { name: processId }).click();
      await page.locator('g.dag-node[data-step="wait"][data-state="running"]').waitFor();
      await page.getByRole('button', { name: 'Cancel', exact: true }).click();
      await page.getByRole('button', { name: 'Yes, cancel it' }).click();
      await page.getByTestId('process-status').filter({ hasText: 'cancelled' }).waitFor();
      await page.locator('g.dag-node[data-step="wait"][data-state="stopped"]').waitFor();
      await page.getByText('cancelled from the dashboard').waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'process-cancelled.png'), fullPage: true });
      const view = await millrace.orchestrator.get(processId);
      assert.equal(view.status, 'cancelled');
    } finally {
      await context.close();
    }
  });

  it('retries the task that failed a process from its page, and the process completes', async () => {
    const fixedWhen = dir.file('fixed');
    const processId = await startThroughApi('repairable', { fixedWhen });
    const { context, page } = await signIn(tokens.operate);
    try {
      await page.getByRole('link', { name: processId }).click();
      await page.getByTestId('process-status').filter({ hasText: 'failed' }).waitFor();
      await page.getByText('item 2 hits the bug').first().waitFor();
      writeFileSync(fixedWhen, 'deployed');
      await page.getByRole('button', { name: 'Retry failed task' }).click();
      await page.getByTestId('process-status').filter({ hasText: 'completed' }).waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'process-retried.png'), fullPage: true });
      const view = await millrace.orchestrator.get(processId);
      assert.equal(view.status, 'completed');
      assert.deepEqual(view.output, { first: 10, work: [20] });
    } finally {
      await context.close();
    }
  });

  it('shows queues with depth charts drawn from live samples, and dead letters', async () => {
    const { context, page } = await signIn(tokens.operate);
    try {
      await page.getByRole('link', { name: 'Queues' }).click();
      await page.getByRole('heading', { name: 'Queues' }).waitFor();
      await page.getByTestId('queue-table').getByRole('rowheader', { name: 'tasks', exact: true }).waitFor();
      // A chart is drawn once there are two samples (one every 2 s).
      const line = page.locator('figure.chart polyline').first();
      await line.waitFor({ state: 'attached' });
      assert.ok((await line.getAttribute('points'))!.split(' ').length >= 2);
      assert.ok(await page.locator('figure.chart').count() >= 3);
      await page.getByRole('heading', { name: 'Dead letters' }).waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'queues.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('keeps a read-only token from cancelling and starting', async () => {
    const processId = await startThroughApi('hanging', null);
    const { context, page } = await signIn(tokens.read);
    try {
      assert.equal(await page.getByText('Start a process').count(), 0);
      await page.goto(`${base}/processes/${processId}`);
      const cancel = page.getByRole('button', { name: 'Cancel', exact: true });
      await cancel.waitFor();
      assert.equal(await cancel.isDisabled(), true);
      await page.screenshot({ path: join(ARTIFACTS, 'read-only.png'), fullPage: true });
    } finally {
      await context.close();
      await millrace.orchestrator.cancel(processId, 'test over');
    }
  });

  it('ran without page errors or refused resources', () => {
    assert.deepEqual(problems, []);
  });
});
