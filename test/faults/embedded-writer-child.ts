/**
 * A writer process for scenario 5: appends numbered events to an embedded
 * event store and records to an embedded log, as fast as it can, and prints
 * `ack <n>` after each append resolved (acknowledged, so durable) until it
 * is killed. It continues from what the stores hold, so a restart never
 * writes a number twice.
 * Usage: node --import tsx embedded-writer-child.ts <dataDir>
 */
import { SqliteEventStore } from '../../src/adapters/embedded/sqlite-event-store.js';
import { SqliteLog } from '../../src/adapters/embedded/sqlite-log.js';

const [dataDir] = process.argv.slice(2);
if (dataDir === undefined) {
  process.stderr.write('usage: embedded-writer-child.ts <dataDir>\n');
  process.exit(2);
}
const events = new SqliteEventStore({ path: `${dataDir}/events.db` });
const log = new SqliteLog({ path: `${dataDir}/streams.db` });
await log.createTopic('writes', { partitions: 1 });
// One stream per writer run is not needed: one stream, continued at its version, as an aggregate would be.
let version = await events.streamVersion('writes');
let offset = (await log.topicInfo('writes')).endOffsets[0]!;
process.stdout.write(`ready ${version} ${offset}\n`);
for (;;) {
  const n = version + 1;
  await events.append('writes', [{ id: `event-${n}`, type: 'Written', data: { n } }], version);
  version = n;
  process.stdout.write(`ack event-${n}\n`);
  await log.append('writes', [{ key: `record-${offset}`, value: { n: offset } }]);
  process.stdout.write(`ack record-${offset}\n`);
  offset++;
}
