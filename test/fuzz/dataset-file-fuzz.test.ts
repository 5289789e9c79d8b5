/**
 * Fuzzes the dataset file reader: seeded mutations of a valid file (bit
 * flips, truncation, inserted and deleted bytes, huge lengths and offsets,
 * wrong magic and version), half of them with the meta section's CRC
 * re-sealed so the checks behind it are reached too. Each mutant opens
 * and reads back every tile of every level, or fails with STORAGE_CORRUPT
 * naming the file: never a TypeError or RangeError, never a read outside
 * the blob.
 *
 * `MILLRACE_FAULT_SEED` replays a run; `MILLRACE_FUZZ_MUTANTS` sets how many (default 3000).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { bandRange, decodeBand, openDatasetFile, type DatasetFile } from '../../src/queries/format/dataset-file-reader.js';
import { HEADER_BYTES, META_FIXED_BYTES, TRAILER_BYTES } from '../../src/queries/format/file-format.js';
import { bandCount, planesAt, tilesAcross } from '../../src/queries/format/layout.js';
import { MemoryBlobStore } from '../unit/queries/memory-blob-store.js';
import { encodeGrid, randomGrid } from '../unit/queries/grids.js';
import { fuzzRandom } from './support/seed.js';
import { mutate, untypedCrash } from './support/mutate.js';

const MUTANTS = Number(process.env.MILLRACE_FUZZ_MUTANTS ?? 3000);

/** Reads every tile of every level and plane: what queries could ask for. */
async function readEverything(blobs: MemoryBlobStore, file: DatasetFile): Promise<number> {
  const g = file.geometry;
  let cells = 0;
  for (let i = 0; i < g.levelsRt; i++) {
    for (let j = 0; j < g.levelsMz; j++) {
      for (const plane of planesAt(i, j)) {
        for (let b = 0; b < bandCount(g, i); b++) {
          const across = tilesAcross(g, j);
          const range = bandRange(file, i, j, plane, b, 0, across);
          for (const tile of decodeBand(await blobs.getRange(file.ref, range.offset, range.length), g, i, j, b, 0, across, file.ref.key)) cells += tile.length;
        }
      }
    }
  }
  return cells;
}

/** Where the fields are: header magic and version, trailer, meta fixed part and the first band offsets. */
function hotSpots(valid: Uint8Array): number[] {
  const size = valid.length;
  const trailer = size - TRAILER_BYTES;
  const metaOffset = Number(Buffer.from(valid).readBigUInt64LE(trailer));
  return [0, 7, 8, 10, trailer, trailer + 8, trailer + 12, trailer + 16, trailer + 24,
    ...Array.from({ length: 8 }, (_, k) => metaOffset + k * 4), metaOffset + META_FIXED_BYTES, size - TRAILER_BYTES - 8, size - TRAILER_BYTES - 16, HEADER_BYTES, HEADER_BYTES + 4];
}

/** Recomputes the meta CRC in the trailer, when the trailer still says where the meta is. */
function reseal(bytes: Buffer): boolean {
  if (bytes.length < HEADER_BYTES + TRAILER_BYTES) return false;
  const trailer = bytes.length - TRAILER_BYTES;
  const metaOffset = bytes.readBigUInt64LE(trailer);
  const metaLength = bytes.readUInt32LE(trailer + 8);
  if (metaOffset + BigInt(metaLength) !== BigInt(trailer)) return false;
  bytes.writeUInt32LE(crc32(bytes.subarray(Number(metaOffset), trailer)), trailer + 12);
  return true;
}

describe('dataset file reader: fuzzed files', () => {
  it('opens and reads every mutant, or refuses it with STORAGE_CORRUPT naming the file', async () => {
    const random = fuzzRandom('dataset file fuzz', 21);
    const valid = encodeGrid(randomGrid(70, 150, 4), 8, 32);
    const spots = hotSpots(valid);
    const blobs = new MemoryBlobStore();
    const findings: string[] = [];
    const outcomes = { read: 0, refused: 0, resealed: 0 };
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    for (let n = 0; n < MUTANTS; n++) {
      const mutant = mutate(valid, random, spots);
      if (random.next() < 0.5 && reseal(mutant.bytes)) outcomes.resealed++;
      const key = `fuzz/m${n}.mrt`;
      blobs.blobs.clear();
      const ref = await blobs.put(key, mutant.bytes);
      try {
        await readEverything(blobs, await openDatasetFile(blobs, ref));
        outcomes.read++;
      } catch (error) {
        outcomes.refused++;
        const { code, message } = error as { code?: string; message?: string };
        if (untypedCrash(error) || code !== 'STORAGE_CORRUPT' || !String(message).includes(key)) {
          findings.push(`mutant ${n} (${mutant.how}): ${(error as Error).name} ${code ?? ''}: ${message}`);
        }
      }
      if (n % 100 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    console.log(`# ${MUTANTS} mutants: ${outcomes.read} read whole, ${outcomes.refused} refused (${outcomes.resealed} with the meta CRC re-sealed); rss peak +${Math.round((peak - baseline) / 2 ** 20)} MiB`);
    assert.deepEqual(findings.slice(0, 20), [], `${findings.length} mutants ended in an untyped or unnamed error`);
    assert.ok(outcomes.refused > MUTANTS / 2, 'most mutants are damaged enough to refuse');
    assert.ok(peak - baseline < 256 * 2 ** 20, `memory grew by ${peak - baseline} bytes`);
  });
});
