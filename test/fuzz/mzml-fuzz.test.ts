/**
 * Fuzzes the mzML reader: seeded mutations of a valid file, byte-level
 * (bit flips, truncation, inserted and deleted bytes) and mzML-aware
 * (broken XML, wrong base64, lying compression flags and array lengths,
 * huge `defaultArrayLength`, entity expansion, a zlib bomb, deep nesting).
 * Each mutant parses to spectra that hold together (finite times, integer
 * MS levels, as many m/z values as intensities), or fails with
 * DATASET_INVALID naming the file: never a TypeError or RangeError, never
 * a hang, never memory beyond a bound. A quarter also run the whole import
 * into a dataset.
 *
 * `MILLRACE_FAULT_SEED` replays a run; `MILLRACE_FUZZ_MUTANTS` sets how many (default 2000).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MzmlParser, type MzmlSpectrum } from '../../src/queries/mzml/mzml-parser.js';
import { importMzml } from '../../src/queries/mzml/import-mzml.js';
import { MemoryBlobStore } from '../unit/queries/memory-blob-store.js';
import { makeMzmlFixture } from '../unit/queries/mzml-fixture.js';
import { fuzzRandom, type FuzzRandom } from './support/seed.js';
import { mutate, untypedCrash } from './support/mutate.js';
import { mzmlMutant, zlibBomb } from './support/mzml-mutations.js';

const MUTANTS = Number(process.env.MILLRACE_FUZZ_MUTANTS ?? 2000);
const SOURCE = 'fuzzed.mzML';

function chunksOf(bytes: Buffer, random: FuzzRandom): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = random.int(1, 4096);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

function parse(chunks: readonly Buffer[]): MzmlSpectrum[] {
  const parser = new MzmlParser(SOURCE);
  const spectra: MzmlSpectrum[] = [];
  for (const chunk of chunks) spectra.push(...parser.write(chunk));
  spectra.push(...parser.end());
  return spectra;
}

/** What is wrong with a spectrum the parser returned, if anything. */
function incoherent(s: MzmlSpectrum): string | undefined {
  if (!Number.isFinite(s.rtSeconds)) return `spectrum ${s.id}: scan start time ${s.rtSeconds}`;
  if (!Number.isInteger(s.msLevel) || s.msLevel < 1) return `spectrum ${s.id}: MS level ${s.msLevel}`;
  if (!Number.isInteger(s.index) || s.index < 0) return `spectrum ${s.id}: index ${s.index}`;
  if (s.mz.length !== s.intensity.length) return `spectrum ${s.id}: ${s.mz.length} m/z values, ${s.intensity.length} intensities`;
  return undefined;
}

describe('mzML reader: fuzzed files', () => {
  it('parses every mutant to coherent spectra, or refuses it with DATASET_INVALID naming the file', async () => {
    const random = fuzzRandom('mzML fuzz', 33);
    const fixture = makeMzmlFixture({ ms1: 6, seed: 5 });
    const valid = Buffer.from(fixture.xml);
    const spots = ['<binary>', 'defaultArrayLength="', 'arrayLength', 'MS:1000574', 'MS:1000523', '<?xml', '<mzML', '</spectrum>', 'value="']
      .flatMap((needle) => [...fixture.xml.matchAll(new RegExp(needle.replace(/[?]/g, '\\?'), 'g'))].map((m) => Buffer.byteLength(fixture.xml.slice(0, m.index))));
    const findings: string[] = [];
    const outcomes = { parsed: 0, refused: 0, imported: 0 };
    zlibBomb(); // built once, before the baseline: its own 64 MiB is not the reader's
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let slowest = { ms: 0, how: '' };
    for (let n = 0; n < MUTANTS; n++) {
      const mutant = random.next() < 0.5 ? (({ text, how }) => ({ bytes: Buffer.from(text), how }))(mzmlMutant(fixture.xml, random)) : mutate(valid, random, spots);
      const chunks = chunksOf(mutant.bytes, random);
      const started = Date.now();
      const report = (what: string): void => void findings.push(`mutant ${n} (${mutant.how}): ${what}`);
      const judge = (error: unknown): void => {
        const { code, message } = error as { code?: string; message?: string };
        if (untypedCrash(error) || code !== 'DATASET_INVALID' || !String(message).includes(SOURCE)) report(`${(error as Error).name} ${code ?? ''}: ${String(message).slice(0, 300)}`);
      };
      try {
        const spectra = parse(chunks);
        outcomes.parsed++;
        const problem = spectra.map(incoherent).find((p) => p !== undefined);
        if (problem !== undefined) report(`parsed, but ${problem}`);
      } catch (error) {
        outcomes.refused++;
        judge(error);
      }
      if (n % 4 === 0) {
        try {
          await importMzml({ blobs: new MemoryBlobStore(), dataset: 'fuzz', fileId: 'f', sourceName: SOURCE, source: (async function* () { yield* chunks; })(), bins: 300, tileRows: 8, tileCols: 64 });
          outcomes.imported++;
        } catch (error) {
          judge(error);
        }
      }
      const ms = Date.now() - started;
      if (ms > slowest.ms) slowest = { ms, how: mutant.how };
      if (n % 50 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    console.log(`# ${MUTANTS} mutants: ${outcomes.parsed} parsed, ${outcomes.refused} refused, ${outcomes.imported} imported whole; slowest ${slowest.ms} ms (${slowest.how}); rss peak +${Math.round((peak - baseline) / 2 ** 20)} MiB`);
    assert.deepEqual(findings.slice(0, 20), [], `${findings.length} mutants ended in an untyped or unnamed error, or an incoherent spectrum`);
    assert.ok(outcomes.refused > MUTANTS / 4, 'most mutants are damaged enough to refuse');
    // A hang shows as one mutant taking seconds (the file is 40 KB); unbounded memory as growth in the hundreds of MiB.
    assert.ok(slowest.ms < 10_000, `mutant "${slowest.how}" took ${slowest.ms} ms`);
    assert.ok(peak - baseline < 256 * 2 ** 20, `memory grew by ${Math.round((peak - baseline) / 2 ** 20)} MiB`);
  });
});
