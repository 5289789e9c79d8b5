/** The dataset HTTP routes through app.inject: answers, ETags and cache headers, and a 400 naming every bad parameter. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { PNG } from 'pngjs';
import { generateDataset } from '../../../src/queries/generate/generate-dataset.js';
import { registerDatasetRoutes } from '../../../src/queries/http/dataset-routes.js';
import { QueryService } from '../../../src/queries/service/query-service.js';
import { createLocalStripRunner, type StripRunner } from '../../../src/queries/service/strip-runner.js';
import { MemoryBlobStore } from './memory-blob-store.js';

const blobs = new MemoryBlobStore();
let app: FastifyInstance;
let service: QueryService;

async function appWith(runner: StripRunner, admission?: { maxQueries: number; maxWaiting: number }): Promise<{ app: FastifyInstance; service: QueryService }> {
  const s = new QueryService({ blobs, runner, admission, limits: { maxWidth: 4096, maxHeight: 4096 } });
  const a = Fastify();
  await registerDatasetRoutes(a, s);
  return { app: a, service: s };
}

describe('dataset routes', () => {
  before(async () => {
    await generateDataset({ blobs, name: 'web', files: 2, scans: 120, bins: 900, tileRows: 16, tileCols: 64, seed: 5 });
    ({ app, service } = await appWith(createLocalStripRunner(blobs)));
  });
  after(async () => {
    await app.close();
  });

  it('lists datasets and describes one', async () => {
    const list = await app.inject('/api/datasets');
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json().datasets.map((d: { name: string; files: number }) => [d.name, d.files]), [['web', 2]]);
    const one = await app.inject('/api/datasets/web');
    assert.deepEqual(one.json().files.map((f: { id: string }) => f.id), ['run-001', 'run-002']);
    assert.deepEqual(one.json().groups, { all: ['run-001', 'run-002'] });
    const missing = await app.inject('/api/datasets/nope');
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { error: { code: 'DATASET_NOT_FOUND', message: 'no dataset named nope' } });
  });

  it('serves a heatmap PNG of the size asked for, with an ETag; a repeat is a cache hit, a matching If-None-Match a 304', async () => {
    const url = '/api/datasets/web/heatmap.png?group=all&width=200&height=100&rtMin=100&rtMax=3000&scale=linear';
    const first = await app.inject(url);
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.headers['content-type'], 'image/png');
    assert.equal(first.headers['x-millrace-cache'], 'miss');
    assert.equal(first.headers['cache-control'], 'public, max-age=60');
    const png = PNG.sync.read(first.rawPayload);
    assert.deepEqual([png.width, png.height], [200, 100]);
    assert.match(String(first.headers['x-millrace-rt']), /^100,3000,\d+$/);
    const numbers = (await app.inject('/api/datasets/web/heatmap.json?group=all&width=200&height=100&rtMin=100&rtMax=3000')).json() as { values: number[] };
    assert.equal(Number(first.headers['x-millrace-max']), Math.max(...numbers.values), 'the top of the colour scale is the largest slot');
    assert.ok(Number(first.headers['x-millrace-max']) > 0);
    const etag = String(first.headers.etag);
    const second = await app.inject('/api/datasets/web/heatmap.png?scale=linear&height=100&width=200&rtMax=3000&rtMin=100&group=all&aggregate=max');
    assert.equal(second.headers['x-millrace-cache'], 'hit');
    assert.equal(second.headers.etag, etag, 'the same normalised query, the same ETag');
    assert.deepEqual(second.rawPayload, first.rawPayload);
    const revalidated = await app.inject({ url, headers: { 'if-none-match': etag } });
    assert.equal(revalidated.statusCode, 304);
    assert.equal(revalidated.body, '');
    const pinned = await app.inject(`${url}&revision=1`);
    assert.equal(pinned.headers['cache-control'], 'public, max-age=31536000, immutable');
  });

  it('serves the same slots as JSON and as binary, equal to the service\'s grid', async () => {
    const query = 'files=run-002&width=30&height=40&aggregate=sum&mzMin=300&mzMax=1000';
    const json = (await app.inject(`/api/datasets/web/heatmap.json?${query}`)).json() as { rt: { n: number }; mz: { n: number }; values: number[] };
    const grid = (await service.query({ kind: 'heatmap', dataset: 'web', files: ['run-002'], width: 30, height: 40, aggregate: 'sum', mzMin: 300, mzMax: 1000 })).grid;
    assert.deepEqual(json.values, Array.from(grid.values));
    const bin = await app.inject(`/api/datasets/web/heatmap.bin?${query}`);
    assert.equal(bin.headers['content-type'], 'application/octet-stream');
    assert.equal(bin.rawPayload.subarray(0, 8).toString('latin1'), 'MRQGRID1');
    assert.deepEqual(new Float32Array(bin.rawPayload.buffer.slice(bin.rawPayload.byteOffset + 64, bin.rawPayload.byteOffset + bin.rawPayload.length)), grid.values);
  });

  it('serves chromatograms and spectra as X/Y points', async () => {
    const chrom = await app.inject('/api/datasets/web/chromatogram?files=run-001&mzMin=500&mzMax=520&points=50');
    assert.equal(chrom.statusCode, 200, chrom.body);
    const c = chrom.json() as { kind: string; x: number[]; y: number[] };
    assert.equal(c.kind, 'chromatogram');
    assert.equal(c.x.length, c.y.length);
    assert.ok(c.x.length <= 50 && c.x.length > 10);
    assert.ok(c.x.every((x, k) => k === 0 || x > c.x[k - 1]!));
    const spectrum = await app.inject('/api/datasets/web/spectrum?group=all&rtMin=1000&rtMax=1100&points=300&format=binary');
    assert.equal(spectrum.statusCode, 200, spectrum.body);
    assert.equal(spectrum.rawPayload.readUInt16LE(10), 2);
    assert.equal(spectrum.rawPayload.readUInt32LE(12), 1);
  });

  it('answers 400 naming the parameter: unknown, repeated, malformed, out of range, unknown file', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['heatmap.png?group=all&colour=red', 'colour', /unknown parameter for heatmap\.png/],
      ['heatmap.json?group=all&scale=log', 'scale', /unknown parameter for heatmap\.json/],
      ['heatmap.png?group=all&width=10&width=20', 'width', /given more than once/],
      ['heatmap.png?group=all&rtMin=abc', 'rtMin', /expected a number, got "abc"/],
      ['heatmap.png?group=all&rtMin=0x10', 'rtMin', /expected a number/],
      ['heatmap.png?group=all&rtMin=500&rtMax=100', 'rtMax', /rtMin must be below rtMax/],
      ['heatmap.png?group=all&width=5000', 'width', /must be an integer from 1 to 4096, got 5000/],
      ['heatmap.png?group=all&height=0', 'height', /must be an integer from 1 to 4096/],
      ['heatmap.png?files=run-001,run-009', 'files', /dataset web has no file "run-009"/],
      ['heatmap.png?group=none', 'group', /dataset web has no group "none"/],
      ['heatmap.png', 'files', /name the files to query/],
      ['heatmap.png?group=all&aggregate=median', 'aggregate', /expected one of max, sum, mean/],
      ['chromatogram?group=all&format=xml', 'format', /expected one of json, binary/],
      ['spectrum?group=all&points=-3', 'points', /expected a whole number/],
      ['heatmap.png?group=all&revision=7', 'revision', /dataset web is at revision 1, not 7/],
    ];
    for (const [path, parameter, message] of cases) {
      const response = await app.inject(`/api/datasets/web/${path}`);
      assert.equal(response.statusCode, 400, `${path}: ${response.body}`);
      const body = response.json() as { error: { code: string; message: string; parameter: string } };
      assert.equal(body.error.code, 'QUERY_INVALID', path);
      assert.equal(body.error.parameter, parameter, path);
      assert.match(body.error.message, message, path);
    }
  });

  it('answers 503 with Retry-After when admission is full, and 500 STORAGE_CORRUPT for a damaged tile', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const slow: StripRunner = { run: async (tasks, options) => { await blocked; return createLocalStripRunner(blobs).run(tasks, options); } };
    const busy = await appWith(slow, { maxQueries: 1, maxWaiting: 0 });
    try {
      const first = busy.app.inject('/api/datasets/web/heatmap.json?group=all&width=10&height=10');
      await new Promise((resolve) => setImmediate(resolve));
      const second = await busy.app.inject('/api/datasets/web/heatmap.json?group=all&width=11&height=10');
      assert.equal(second.statusCode, 503, second.body);
      assert.equal(second.json().error.code, 'QUERY_OVERLOADED');
      assert.ok(Number(second.headers['retry-after']) >= 1);
      release();
      assert.equal((await first).statusCode, 200);
    } finally {
      await busy.app.close();
    }

    const damaged = new MemoryBlobStore();
    const revision = await generateDataset({ blobs: damaged, name: 'bad', files: 1, scans: 40, bins: 100, tileRows: 16, tileCols: 64, seed: 1 });
    damaged.damage(revision.manifest.files[0]!.ref.key, 30);
    const broken = Fastify();
    await registerDatasetRoutes(broken, new QueryService({ blobs: damaged, runner: createLocalStripRunner(damaged) }));
    const response = await broken.inject('/api/datasets/bad/heatmap.png?group=all&width=100&height=100');
    assert.equal(response.statusCode, 500);
    assert.equal(response.json().error.code, 'STORAGE_CORRUPT');
    assert.match(response.json().error.message, /fails its CRC32/);
    await broken.close();
  });
});
