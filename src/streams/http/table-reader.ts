/**
 * @module streams/http/table-reader
 * Keyed tables for the HTTP API: each materialised from its topic on
 * first use and caught up before every answer (so a row written before
 * the request is seen). Catch-ups of one table run one at a time: the
 * table's read offsets are shared.
 */
import type { Log } from '../../ports/log.js';
import { materializeTable, type KeyedTable } from '../runtime/keyed-table.js';

export class TableReader {
  private readonly topics: Map<string, string>;
  private readonly tables = new Map<string, Promise<KeyedTable<unknown>>>();
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(private readonly log: Log, tables: ReadonlyArray<{ name: string; topic: string }>) {
    this.topics = new Map(tables.map(({ name, topic }) => [name, topic]));
  }

  /** The row of `key`, or undefined. */
  async get(name: string, key: string): Promise<{ value: unknown } | undefined> {
    const table = await this.current(name);
    return table.has(key) ? { value: table.get(key) } : undefined;
  }

  /** Rows whose keys start with `prefix` and sort after `after`, in key order (UTF-16 code units), at most `limit`. */
  async scan(name: string, prefix: string, after: string | undefined, limit: number): Promise<Array<{ key: string; value: unknown }>> {
    const table = await this.current(name);
    const keys: string[] = [];
    for (const [key] of table.entries()) if (key.startsWith(prefix) && (after === undefined || key > after)) keys.push(key);
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.slice(0, limit).map((key) => ({ key, value: table.get(key) }));
  }

  private async current(name: string): Promise<KeyedTable<unknown>> {
    const topic = this.topics.get(name);
    if (topic === undefined) {
      throw Object.assign(new Error(`no table named ${name}; known: ${[...this.topics.keys()].join(', ') || 'none'}`), { code: 'NOT_FOUND' });
    }
    const previous = this.turns.get(name) ?? Promise.resolve();
    const turn = previous.catch(() => undefined).then(async () => {
      let table = this.tables.get(name);
      if (table === undefined) {
        table = materializeTable(this.log, topic);
        this.tables.set(name, table);
        table.catch(() => this.tables.delete(name));
        return table;
      }
      const ready = await table;
      await ready.catchUp();
      return ready;
    });
    this.turns.set(name, turn);
    return turn;
  }
}
