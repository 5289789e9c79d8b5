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
 * - `millrace dial engine` / `millrace dial <stream>` with no settings:
 *   the current values and the audit log (who, when, from, to); `--json`
 *   for one JSON document.
 *
 * Nothing in flight is lost or run twice either way. (`engine` is reserved:
 * a stream cannot be dialled under that name.)
 */
import { userInfo } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { parseRoute } from '../../jobs/task-routing.js';
import { changeDial, foldDials, readDialChanges, type DialChange } from '../../runtime/engine-dials.js';
import { createMillrace, type Millrace } from '../../runtime/millrace.js';
import { currentDials, dialChanges, parseDialArguments, setDials } from '../../streams/runtime/dials.js';
import { JSON_FLAG_HELP, printJson } from '../json-output.js';

const ENGINE = 'engine';

export function registerDial(program: Command): void {
  program
    .command('dial')
    .description('change a live setting, or show them and who changed them: the engine\'s (workers.concurrency, scaler.min/max, routes) or a micro-batch stream\'s (maxMessages, maxWaitMs, concurrency)')
    .argument('<target>', '"engine", or the micro-batch stream\'s name')
    .argument('[settings...]', 'key=value, e.g. workers.concurrency=32 or maxMessages=500; none to show the dials and their audit log')
    .option('--json', `${JSON_FLAG_HELP}: with no settings, { dials, changes }`)
    .option('--data-dir <dir>', 'embedded state directory (default: MILLRACE_DATA_DIR or ./.millrace)')
    .action(async (target: string, settings: string[], flags: { json?: boolean; dataDir?: string }) => {
      const reading = settings.length === 0;
      const engineChanges = target === ENGINE && !reading ? settings.map(parseEngineSetting) : undefined;
      const streamChange = target !== ENGINE && !reading ? parseDialArguments(settings) : undefined;
      const millrace = await createMillrace({ dataDir: flags.dataDir, logLevel: 'warn' });
      try {
        const by = `cli:${userInfo().username}`;
        if (reading) await showDials(millrace, target, flags.json === true);
        else if (engineChanges !== undefined) {
          const done: DialChange[] = [];
          for (const [dial, value] of engineChanges) done.push(await changeDial(millrace.log, dial, value, by, Date.now()));
          if (flags.json) printJson(done);
          else for (const change of done) process.stdout.write(`${JSON.stringify(change)}\n`);
        } else {
          await setDials(millrace.log, target, streamChange!, by);
          if (flags.json) printJson({ stream: target, dials: streamChange });
          else process.stdout.write(`${JSON.stringify({ stream: target, dials: streamChange })}\n`);
        }
      } finally {
        await millrace.close();
      }
    });
}

/**
 * The current values and the audit log. A stream's values are folded from
 * the defaults: what the stream was started with is known to its process
 * (and to the server's `/api/streams/:name/dials`), not to this command.
 */
async function showDials(millrace: Millrace, target: string, json: boolean): Promise<void> {
  const shown = target === ENGINE
    ? await readDialChanges(millrace.log).then((changes) => ({ target, dials: foldDials(changes) as Record<string, unknown>, changes }))
    : { target, dials: await currentDials(millrace.log, target) as unknown as Record<string, unknown>, changes: await dialChanges(millrace.log, target) };
  if (json) {
    printJson(shown);
    return;
  }
  for (const [dial, value] of Object.entries(shown.dials)) process.stdout.write(`${dial} = ${JSON.stringify(value)}\n`);
  if (shown.changes.length === 0) process.stdout.write('no changes recorded\n');
  for (const c of shown.changes) process.stdout.write(`${new Date(c.at).toISOString()}  ${c.by}  ${c.dial}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}\n`);
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
