/**
 * Fuzzes blob keys against the file blob store: seeded keys built from
 * traversal fragments (`..`, encoded dots and slashes, backslashes, NUL,
 * absolute paths, overlong UTF-8, very long segments). Each is refused
 * with BLOB_KEY_INVALID, or stored and read back under the blob root:
 * afterwards nothing exists outside the root, and a sentinel file beside
 * it is untouched.
 *
 * `MILLRACE_FAULT_SEED` replays a run; `MILLRACE_FUZZ_MUTANTS` sets how many keys (default 1500).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { FileBlobStore } from '../../src/adapters/embedded/file-blob-store.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { fuzzRandom } from './support/seed.js';
import { untypedCrash } from './support/mutate.js';

const KEYS = Number(process.env.MILLRACE_FUZZ_MUTANTS ?? 1500);
const FRAGMENTS = ['..', '.', '', 'a', 'runs', '%2e%2e', '%2E%2e', '%2f', '%5c', '%00', '%252e', '%c0%ae', '\\', '..\\..', '\u0000', '/', '//', '~',
  'secret.txt', 'é', '\u202e', 'x'.repeat(300), ' ', '*', '?', '%', '%41', 'CON', '.blob', '.dir', 'tmp', 'blobs', '\uff0e\uff0e', '\u2025'];

function walk(path: string): string[] {
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(path, entry.name)) : [join(path, entry.name)]));
}

describe('file blob store: fuzzed keys', () => {
  let dir: TempDir;
  let store: FileBlobStore;
  const root = (): string => join(dir.path, 'root');

  before(() => {
    dir = createTempDir('millrace-key-fuzz-');
    mkdirSync(root());
    writeFileSync(join(dir.path, 'secret.txt'), 'sentinel');
    store = new FileBlobStore({ root: root() });
  });
  after(async () => {
    await store.close();
    dir.remove();
  });

  it('stores each key under the root or refuses it with BLOB_KEY_INVALID; nothing lands outside', async () => {
    const random = fuzzRandom('blob key fuzz', 5);
    const findings: string[] = [];
    const outcomes = { stored: 0, refused: 0 };
    for (let n = 0; n < KEYS; n++) {
      const parts = Array.from({ length: random.int(1, 6) }, () => random.pick(FRAGMENTS));
      const key = (random.next() < 0.2 ? '/' : '') + parts.join(random.next() < 0.8 ? '/' : random.pick(['\\', '%2f', '']));
      const body = Buffer.from(`blob ${n}`);
      try {
        const ref = await store.put(key, body);
        const back = await store.get(ref);
        if (!Buffer.from(back).equals(body)) findings.push(`${JSON.stringify(key)}: read back other bytes`);
        outcomes.stored++;
      } catch (error) {
        outcomes.refused++;
        const code = (error as { code?: string }).code;
        // A key stored once is immutable: putting other bytes under it again is a conflict, not a traversal.
        if (untypedCrash(error) || (code !== 'BLOB_KEY_INVALID' && code !== 'BLOB_CONFLICT')) findings.push(`${JSON.stringify(key)}: ${(error as Error).name} ${code}: ${(error as Error).message}`);
      }
    }
    console.log(`# ${KEYS} keys: ${outcomes.stored} stored, ${outcomes.refused} refused`);
    assert.deepEqual(findings.slice(0, 20), []);
    assert.deepEqual(readdirSync(dir.path).sort(), ['root', 'secret.txt'], 'nothing was created beside the root');
    for (const file of walk(root())) {
      const inside = relative(root(), file).split(sep)[0];
      assert.ok(inside === 'blobs' || inside === 'tmp', `${file} is under blobs/ or tmp/`);
    }
    assert.equal(readFileSync(join(dir.path, 'secret.txt'), 'utf8'), 'sentinel');
    assert.ok(outcomes.stored > 0 && outcomes.refused > 0, 'the fuzz both stores and refuses keys');
  });
});
