/**
 * Seeded byte mutations of a valid file: bit flips, truncation, inserted
 * and deleted bytes, runs of 0x00/0xff, duplicated slices, and "interesting"
 * integers (0, -1, 2^31, 2^53…) written over fields, preferably at the
 * offsets the caller names as structural (magic, version, lengths).
 */
import type { FuzzRandom } from './seed.js';

export interface Mutant {
  bytes: Buffer;
  /** What was done, to print with a failure. */
  how: string;
}

const INTERESTING_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];
const INTERESTING_U64 = [0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];

export function mutate(source: Uint8Array, random: FuzzRandom, hotSpots: readonly number[] = []): Mutant {
  let bytes = Buffer.from(source);
  const steps: string[] = [];
  const count = random.int(1, 3);
  for (let n = 0; n < count; n++) {
    const at = hotSpots.length > 0 && random.next() < 0.5 ? Math.min(random.pick(hotSpots), Math.max(0, bytes.length - 1)) : random.int(0, Math.max(0, bytes.length - 1));
    switch (random.int(0, 8)) {
      case 0: {
        const bit = random.int(0, 7);
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << bit);
        steps.push(`flip bit ${bit} at ${at}`);
        break;
      }
      case 1:
        bytes = bytes.subarray(0, random.int(0, bytes.length));
        steps.push(`truncate to ${bytes.length}`);
        break;
      case 2: {
        const inserted = Buffer.from(Array.from({ length: random.int(1, 64) }, () => random.int(0, 255)));
        bytes = Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at)]);
        steps.push(`insert ${inserted.length} bytes at ${at}`);
        break;
      }
      case 3: {
        const length = random.int(1, 64);
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + length)]);
        steps.push(`delete ${length} bytes at ${at}`);
        break;
      }
      case 4: {
        const length = Math.min(random.int(1, 16), bytes.length - at);
        bytes.fill(random.next() < 0.5 ? 0 : 0xff, at, at + length);
        steps.push(`fill ${length} bytes at ${at}`);
        break;
      }
      case 5: {
        const length = random.int(1, 256);
        const slice = Buffer.from(bytes.subarray(at, at + length));
        bytes = Buffer.concat([bytes.subarray(0, at), slice, bytes.subarray(at)]);
        steps.push(`duplicate ${slice.length} bytes at ${at}`);
        break;
      }
      case 6:
      case 7:
        if (at + 4 <= bytes.length) {
          const value = random.pick(INTERESTING_U32);
          bytes.writeUInt32LE(value, at);
          steps.push(`u32 ${value} at ${at}`);
        }
        break;
      default:
        if (at + 8 <= bytes.length) {
          const value = random.pick(INTERESTING_U64);
          bytes.writeBigUInt64LE(value, at);
          steps.push(`u64 ${value} at ${at}`);
        }
    }
  }
  return { bytes, how: steps.join(', ') };
}

/** The kinds of thrown value a fuzz target must never let out: a bug, not a report. */
export function untypedCrash(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return !(error instanceof Error) || error.name !== 'MillraceError' || typeof code !== 'string';
}
