/**
 * @module mapreduce/map-buffer
 * Where a map task keeps what it emits until it writes a run.
 *
 * With a `combine`, each key holds one accumulated value and an emit folds
 * into it (`combine(acc, value, key)`): memory grows with distinct keys,
 * not with records, and a reducer reads one value per key per run. For a
 * count such as page-hits this turns millions of pairs into a few thousand
 * lines. Without one, each key holds its values' JSON text, encoded as they
 * are emitted (the encoding is needed anyway, and text has a size to count).
 *
 * Keys are copied on first insertion: a key sliced from a record would
 * otherwise keep the whole decoded chunk it came from alive.
 *
 * `bytes` is an estimate for deciding when to spill: key lengths plus a
 * fixed cost per entry, plus the value text without a combiner. It is a
 * function of what was emitted only — never of time or memory pressure — so
 * a retried task spills at the same points and writes the same runs.
 */
import { MillraceError } from '../core/errors.js';
import { encodeValue } from './json-value.js';

/** Bytes counted per entry besides its key and text (map slot, array, headers). */
const ENTRY_OVERHEAD = 64;

export class MapBuffer<V> {
  private readonly combined = new Map<string, V>();
  private readonly lists = new Map<string, string[]>();
  private estimate = 0;
  private pairs = 0;

  constructor(
    private readonly jobName: string,
    private readonly combine: ((accumulated: V, value: V, key: string) => V) | undefined,
  ) {}

  /** Adds one emitted pair. */
  readonly emit = (key: string, value: V): void => {
    if (typeof key !== 'string') throw this.badKey(key);
    this.pairs++;
    const combine = this.combine;
    if (combine !== undefined) {
      if (value === undefined) throw this.undefinedValue(key, 'map emitted');
      const accumulated = this.combined.get(key);
      if (accumulated === undefined) {
        this.combined.set(copy(key), value);
        this.estimate += key.length * 2 + ENTRY_OVERHEAD;
      } else {
        const next = combine(accumulated, value, key);
        // Stored, undefined would read as "no entry yet" and the next emit would silently start over.
        if (next === undefined) throw this.undefinedValue(key, 'combine returned');
        this.combined.set(key, next);
      }
      return;
    }
    const json = encodeValue(value, () => `map of "${this.jobName}" emitted for key ${JSON.stringify(key)} a value that`);
    const list = this.lists.get(key);
    if (list === undefined) {
      this.lists.set(copy(key), [json]);
      this.estimate += key.length * 2 + ENTRY_OVERHEAD + json.length;
    } else {
      list.push(json);
      this.estimate += json.length + 8;
    }
  };

  /** Estimated bytes held (see the module comment). */
  get bytes(): number {
    return this.estimate;
  }

  /** Pairs emitted since the task started. */
  get emitted(): number {
    return this.pairs;
  }

  get size(): number {
    return this.combine === undefined ? this.lists.size : this.combined.size;
  }

  get keys(): IterableIterator<string> {
    return this.combine === undefined ? this.lists.keys() : this.combined.keys();
  }

  /** The text after a key's tab in a run: its values as a JSON array. */
  valuesJson(key: string): string {
    if (this.combine === undefined) return `[${this.lists.get(key)!.join(',')}]`;
    const value = this.combined.get(key);
    return `[${encodeValue(value, () => `combine of "${this.jobName}" returned for key ${JSON.stringify(key)} a value that`)}]`;
  }

  /** Empties the buffer after a run is written. */
  clear(): void {
    this.combined.clear();
    this.lists.clear();
    this.estimate = 0;
  }

  private badKey(key: unknown): MillraceError {
    return new MillraceError('CODEC_INVALID_JSON', `map of "${this.jobName}" emitted a key that is not a string (${key === null ? 'null' : typeof key}): keys must be strings`);
  }

  private undefinedValue(key: string, who: string): MillraceError {
    return new MillraceError('CODEC_INVALID_JSON', `${who} undefined for key ${JSON.stringify(key)} in "${this.jobName}": values must be JSON`);
  }
}

/**
 * A copy of `text` that shares no memory with the string it was sliced
 * from: concatenating forces a fresh flat string, and slicing off the added
 * character keeps only that small copy alive.
 */
function copy(text: string): string {
  return ` ${text}`.slice(1);
}
