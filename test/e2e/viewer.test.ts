/**
 * The dataset viewer in headless Chromium against a real server (embedded
 * engine, query threads, the dataset routes): open it from the datasets
 * page, zoom twice (wheel, then a box), pan, hover for the profiles, and
 * reload the shared URL. Every image must change and every request must
 * succeed. The dashboard is built into a temp directory for this test, so
 * it always runs the current sources. Screenshots go to
 * test/e2e/artifacts/ (gitignored).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { generateDataset } from '../../src/queries/generate/generate-dataset.js';
import { registerDatasetRoutes } from '../../src/queries/http/dataset-routes.js';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { startQueries, type QuerySystem } from '../../src/runtime/query-system.js';
import { createServer } from '../../src/server/create-server.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { launchChromium, requireChromium, UI_TIMEOUT } from './browser.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const skip = requireChromium();

describe('dataset viewer in Chromium', { skip }, () => {
  let dir: TempDir;
  let millrace: Millrace;
  let queries: QuerySystem;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const statuses: Array<{ url: string; status: number }> = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = createTempDir('millrace-viewer-');
    const built = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', 'web', '--logLevel', 'warn', '--outDir', dir.file('web')], { encoding: 'utf8' });
    assert.equal(built.status, 0, `building the dashboard: ${built.stderr}`);
    millrace = await createMillrace({ dataDir: dir.file('data'), logLevel: 'silent' });
    await generateDataset({ blobs: millrace.blobs, name: 'runs', files: 2, scans: 400, bins: 2000, tileRows: 32, tileCols: 128, seed: 5 });
    queries = await startQueries(millrace, { threads: 1 });
    app = await createServer({
      orchestrator: millrace.orchestrator, queue: millrace.queue, logger: millrace.logger, events: millrace.events, dashboard: { root: dir.file('web') },
      plugins: [(server) => registerDatasetRoutes(server, queries.service)],
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/api/')) statuses.push({ url: response.url(), status: response.status() });
    });
    // A profile request superseded by a newer pointer position is aborted on purpose; anything else failing is a problem.
    page.on('requestfailed', (request) => {
      if (request.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
    });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await queries?.close();
    await millrace?.close();
    dir?.remove();
  });

  const heatmap = () => page.getByTestId('heatmap');
  const image = () => heatmap().locator('img');
  /** Waits for the heatmap to show an image other than `previous` and to be idle, and returns its src and pixels. */
  async function settled(previous?: string): Promise<{ src: string; pixels: Buffer }> {
    // A function, not a string: the page's CSP forbids eval. Its DOM types are spelled out since this file compiles without lib dom.
    await page.waitForFunction((old: string) => {
      type Img = { src: string; complete: boolean; naturalWidth: number };
      type Frame = { getAttribute(name: string): string | null; querySelector(selector: string): Img | null };
      const frame = (globalThis as unknown as { document: { querySelector(selector: string): Frame | null } }).document.querySelector('[data-testid="heatmap"]');
      const img = frame?.querySelector('img');
      return img != null && img.src !== old && img.complete && img.naturalWidth > 0 && frame!.getAttribute('aria-busy') === 'false';
    }, previous ?? '');
    const src = (await image().getAttribute('src'))!;
    return { src, pixels: await image().screenshot() };
  }
  const rtRange = (): [number, number] => {
    const text = new URL(page.url()).searchParams.get('rt');
    assert.ok(text !== null, `the view is in the URL (${page.url()})`);
    return text.split(',').map(Number) as [number, number];
  };

  it('opens from the datasets page and shows the whole run with a colour scale', async () => {
    await page.goto(`${base}/datasets`);
    await page.getByRole('link', { name: 'runs' }).click();
    await page.waitForURL(/\/viewer\?dataset=runs&group=all/);
    const first = await settled();
    assert.match(first.src, /^blob:/);
    await page.getByTestId('colour-legend').filter({ hasText: 'log scale' }).waitFor();
    assert.doesNotMatch(await page.getByTestId('colour-legend').textContent() ?? '', /…/, 'the legend is labelled with the image\'s values');
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-initial.png'), fullPage: true });
  });

  it('zooms twice (wheel, then a box), each time to a new image of a narrower view', async () => {
    const before = await settled('');
    const box = (await heatmap().boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.6);
    await page.mouse.wheel(0, -120);
    const wheeled = await settled(before.src);
    assert.notDeepEqual(wheeled.pixels, before.pixels, 'the wheel zoom changed the picture');
    const afterWheel = rtRange();
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-zoom-1.png'), fullPage: true });

    await page.keyboard.down('Shift');
    await page.mouse.move(box.x + 100, box.y + 120);
    await page.mouse.down();
    await page.mouse.move(box.x + 260, box.y + 300, { steps: 5 });
    await page.locator('.heatmap-box').waitFor();
    await page.mouse.up();
    await page.keyboard.up('Shift');
    const boxed = await settled(wheeled.src);
    assert.notDeepEqual(boxed.pixels, wheeled.pixels, 'the box zoom changed the picture');
    const afterBox = rtRange();
    assert.ok(afterBox[1] - afterBox[0] < (afterWheel[1] - afterWheel[0]) * 0.5, `the box narrowed the RT range: ${afterWheel} → ${afterBox}`);
    assert.ok(afterBox[0] >= afterWheel[0] && afterBox[1] <= afterWheel[1], 'inside the previous view');
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-zoom-2.png'), fullPage: true });
  });

  it('pans by dragging, and shows the chromatogram and spectrum under the pointer', async () => {
    const before = await settled('');
    const range = rtRange();
    const box = (await heatmap().boundingBox())!;
    await page.mouse.move(box.x + 300, box.y + 250);
    await page.mouse.down();
    await page.mouse.move(box.x + 200, box.y + 250, { steps: 5 });
    await page.mouse.up();
    await settled(before.src);
    const panned = rtRange();
    assert.ok(panned[0] > range[0], `dragging left moved the view to later RT: ${range} → ${panned}`);

    await page.mouse.move(box.x + 256, box.y + 256);
    for (const id of ['chromatogram', 'spectrum']) await page.getByTestId(id).locator('polyline').waitFor();
    assert.match(await page.getByTestId('chromatogram').textContent() ?? '', /Chromatogram at m\/z/);
    assert.match(await page.getByTestId('spectrum').textContent() ?? '', /Spectrum at RT/);
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-profiles.png'), fullPage: true });
  });

  it('reloading the URL shows the same view', async () => {
    const readout = await page.getByTestId('viewer-readout').textContent();
    const view = readout!.split(' · ').slice(0, 2).join(' · ');
    await page.reload();
    await settled();
    assert.equal((await page.getByTestId('viewer-readout').textContent())!.split(' · ').slice(0, 2).join(' · '), view);
  });

  it('every API request succeeded, with no page errors', () => {
    assert.ok(statuses.filter((s) => s.url.includes('heatmap.png')).length >= 4, 'heatmaps were asked for');
    assert.ok(statuses.some((s) => s.url.includes('/chromatogram')) && statuses.some((s) => s.url.includes('/spectrum')));
    assert.deepEqual(statuses.filter((s) => s.status < 200 || s.status > 299), []);
    assert.deepEqual(problems, []);
  });
});
