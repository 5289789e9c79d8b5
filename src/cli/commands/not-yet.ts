/**
 * Commands whose features have not landed. They are listed so `--help`
 * shows the whole tool, and they say plainly that they do nothing yet
 * rather than pretend to work.
 */
import type { Command } from 'commander';
import { MillraceError } from '../../core/errors.js';

const PLANNED: Array<[name: string, description: string, arrivesWith: string]> = [
  ['token', 'create, list and revoke API tokens', 'the Server and dashboard issue'],
];

export function registerPlanned(program: Command): void {
  for (const [name, description, arrivesWith] of PLANNED) {
    program
      .command(name)
      .description(`${description} (not available yet)`)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(() => {
        throw new MillraceError('NOT_AVAILABLE', `\`millrace ${name}\` is not available yet; it arrives with ${arrivesWith}`);
      });
  }
}
