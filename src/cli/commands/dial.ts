/**
 * `millrace dial <target> key=value …`: changes live settings.
 *
 * - `millrace dial engine workers.concurrency=32 scaler.max=8 routes=resize=v2:0.1`:
 *   the engine's dials, recorded on `millrace.dials` (who, when, from, to)
 *   and applied by every worker and server that follows it.
 * - `millrace dial <stream> maxMessages=500 maxWaitMs=200 concurrency=4`: a
 *   micro-batch stream's dials, through its control topic `<stream>.dials`;
 *   the stream applies them to the buckets it forms next.
 *
 * Nothing in flight is lost or run twice either way. (`engine` is reserved:
 * a stream cannot be dialled under that name.)
 */
import { userInfo } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { parseRoute } from '../../jobs/task-routing.js';
import { changeDial, type DialChange } from '../../runtime/engine-dials.js';
import { createMillrace } from '../../runtime/millrace.js';
import { parseDialArguments, setDials } from '../../streams/runtime/dials.js';

const ENGINE = 'engine';

export function registerDial(program: Command): void {
  program
    .command('dial')
    .description('change a live setting: the engine\'s (workers.concurrency, scaler.min/max, routes) or a micro-batch stream\'s (maxMessages, maxWaitMs, concurrency)')
    .argument('<target>', '"engine", or the micro-batch stream\'s name')
    .argument('<settings...>', 'key=value, e.g. workers.concurrency=32 or maxMessages=500')
    .option('--data-dir <dir>', 'embedded state directory (default: MILLRACE_DATA_DIR or ./.millrace)')
    .action(async (target: string, settings: string[], flags: { dataDir?: string }) => {
      const engineChanges = target === ENGINE ? settings.map(parseEngineSetting) : undefined;
      const streamChange = engineChanges === undefined ? parseDialArguments(settings) : undefined;
      const millrace = await createMillrace({ dataDir: flags.dataDir, logLevel: 'warn' });
      try {
        if (engineChanges !== undefined) {
          const by = `cli:${userInfo().username}`;
          const done: DialChange[] = [];
          for (const [dial, value] of engineChanges) done.push(await changeDial(millrace.log, dial, value, by, Date.now()));
          for (const change of done) process.stdout.write(`${JSON.stringify(change)}\n`);
        } else {
          await setDials(millrace.log, target, streamChange!);
          process.stdout.write(`${JSON.stringify({ stream: target, dials: streamChange })}\n`);
        }
      } finally {
        await millrace.close();
      }
    });
}

/** `workers.concurrency=32`, `routes=resize=v2:0.1,thumb=gpu:0.5` or `routes=none`. */
function parseEngineSetting(setting: string): [string, unknown] {
  const at = setting.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`"${setting}" must read key=value`);
  const key = setting.slice(0, at);
  const text = setting.slice(at + 1);
  if (key === 'routes') {
    try {
      return [key, text === 'none' ? [] : text.split(',').map(parseRoute)];
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  }
  const value = Number(text);
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`${key} must be a whole number, got "${text}"`);
  return [key, value];
}
