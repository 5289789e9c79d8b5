/**
 * `millrace policy set | ls | rm`: who may read and operate on a dataset
 * or a process definition (enforced by `millrace server --auth tokens`).
 * Policies are stored with the deployment's events, so every server of the
 * deployment enforces the same ones within a second.
 */
import type { Command } from 'commander';
import { SystemClock } from '../../core/clock.js';
import { createMillrace } from '../../runtime/millrace.js';
import { PolicyRegistry } from '../../server/auth/policy-registry.js';

async function withPolicies<T>(dataDir: string | undefined, work: (policies: PolicyRegistry) => Promise<T>): Promise<T> {
  const millrace = await createMillrace({ dataDir, logLevel: 'warn' });
  try {
    return await work(new PolicyRegistry({ events: millrace.events, clock: new SystemClock() }));
  } finally {
    await millrace.close();
  }
}

const list = (value: string): string[] => value.split(',').map((p) => p.trim()).filter((p) => p !== '');

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('access policies on datasets and process definitions (for millrace server --auth tokens)');

  policy
    .command('set')
    .description('create or replace the policy of a resource')
    .argument('<resource>', 'dataset:<name> or process:<definition name>')
    .requiredOption('--owner <principal>', 'token:<id> or group:<name>; may read and operate')
    .option('--readers <principals>', 'comma-separated token:<id> or group:<name> that may read', list, [] as string[])
    .option('--operators <principals>', 'comma-separated token:<id> or group:<name> that may read and operate', list, [] as string[])
    .option('--json', 'print JSON')
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (resource: string, flags: { owner: string; readers: string[]; operators: string[]; json?: boolean; dataDir?: string }) =>
      withPolicies(flags.dataDir, async (policies) => {
        const set = await policies.set({ resource, owner: flags.owner, readers: flags.readers, operators: flags.operators });
        process.stdout.write(flags.json ? `${JSON.stringify(set)}\n` : `policy of ${set.resource} set: owner ${set.owner}\n`);
      }));

  policy
    .command('ls')
    .description('list policies')
    .option('--json', 'print JSON')
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (flags: { json?: boolean; dataDir?: string }) =>
      withPolicies(flags.dataDir, async (policies) => {
        const all = await policies.list();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
          return;
        }
        for (const p of all) {
          process.stdout.write(`${p.resource}  owner ${p.owner}  readers ${p.readers.join(',') || '-'}  operators ${p.operators.join(',') || '-'}\n`);
        }
      }));

  policy
    .command('rm')
    .description('remove a policy: the resource is open again to every token with the scope')
    .argument('<resource>', 'dataset:<name> or process:<definition name>')
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (resource: string, flags: { dataDir?: string }) =>
      withPolicies(flags.dataDir, async (policies) => {
        const removed = await policies.remove(resource);
        process.stdout.write(removed ? `removed the policy of ${resource}\n` : `no policy on ${resource}; nothing to remove\n`);
        if (!removed) process.exitCode = 1;
      }));
}
