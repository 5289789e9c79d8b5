/**
 * `millrace token create | ls | revoke`: API tokens for `millrace server
 * --auth tokens`. They are stored (hashed) with the deployment's events, so
 * every server of the deployment accepts them.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { SystemClock } from '../../core/clock.js';
import { createMillrace } from '../../runtime/millrace.js';
import { isScope, SCOPES, type Scope } from '../../server/auth/scopes.js';
import { TokenRegistry } from '../../server/auth/token-registry.js';
import { JSON_FLAG_HELP, printJson } from '../json-output.js';

async function withTokens<T>(dataDir: string | undefined, work: (tokens: TokenRegistry) => Promise<T>): Promise<T> {
  const millrace = await createMillrace({ dataDir, logLevel: 'warn' });
  try {
    return await work(new TokenRegistry({ events: millrace.events, clock: new SystemClock() }));
  } finally {
    await millrace.close();
  }
}

function scopeOption(value: string): Scope {
  if (!isScope(value)) throw new InvalidArgumentError(`scope must be one of ${SCOPES.join(', ')}, got "${value}"`);
  return value;
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('create, list and revoke API tokens (for millrace server --auth tokens)');

  token
    .command('create')
    .description('create a token; it is printed once and cannot be shown again')
    .requiredOption('--name <name>', 'who or what uses it, e.g. "ci" or "alice"')
    .option('--scope <scope>', `${SCOPES.join(' | ')}: read looks, operate also starts and cancels, admin also manages`, scopeOption, 'read' as Scope)
    .option('--groups <names>', 'comma-separated groups, named by access policies (`millrace policy set`)', (value: string) => value.split(',').map((g) => g.trim()).filter((g) => g !== ''))
    .option('--json', JSON_FLAG_HELP)
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (flags: { name: string; scope: Scope; groups?: string[]; json?: boolean; dataDir?: string }) =>
      withTokens(flags.dataDir, async (tokens) => {
        const created = await tokens.create(flags.name, flags.scope, flags.groups ?? []);
        if (flags.json) printJson({ ...created.info, token: created.token });
        else process.stdout.write(`${created.token}\n`);
        process.stderr.write(`token ${created.info.id} "${created.info.name}" (${created.info.scope}) created; store it now, it is not shown again\n`);
      }));

  token
    .command('ls')
    .description('list tokens (never their secrets)')
    .option('--json', JSON_FLAG_HELP)
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (flags: { json?: boolean; dataDir?: string }) =>
      withTokens(flags.dataDir, async (tokens) => {
        const list = await tokens.list();
        if (flags.json) {
          printJson(list);
          return;
        }
        for (const t of list) {
          process.stdout.write(`${t.id}  ${t.scope.padEnd(7)}  ${new Date(t.createdAt).toISOString()}  ${t.revokedAt === undefined ? 'active ' : 'revoked'}  ${t.name}${t.groups.length > 0 ? `  [${t.groups.join(',')}]` : ''}\n`);
        }
      }));

  token
    .command('revoke')
    .description('revoke a token; servers refuse it within a second')
    .argument('<id>', 'token id (from `millrace token ls`)')
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (id: string, flags: { dataDir?: string }) =>
      withTokens(flags.dataDir, async (tokens) => {
        const revoked = await tokens.revoke(id);
        process.stdout.write(revoked ? `revoked ${id}\n` : `no active token ${id}; nothing to revoke\n`);
        if (!revoked) process.exitCode = 1;
      }));
}
