/**
 * @module jobs/task-routing
 * Tagged routing: a share of one task type's messages goes to a tag's own
 * queue (`tasks.tag.v2`), which only workers started with that tag consume.
 * To try a new handler version on 10 % of the traffic, start a few workers
 * with `--tags v2` and route `{ task: 'resize', tag: 'v2', share: 0.1 }`.
 *
 * The share is taken by a hash of the task id, not by chance: a task
 * published again (a retry, a replay) goes to the same side every time,
 * and the same history routes the same way in every run.
 */
import { MillraceError } from '../core/errors.js';
import { stableHash } from '../core/ids.js';

export interface TaskRoute {
  /** Task name the rule applies to. */
  task: string;
  /** Workers with this tag take the routed share. */
  tag: string;
  /** Fraction of the task's messages routed, in (0, 1]. */
  share: number;
}

const TAG_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The queue a tag's workers consume. */
export function tagQueue(baseQueue: string, tag: string): string {
  return `${baseQueue}.tag.${tag}`;
}

/** The tag a task goes to, if a route takes it. The first matching rule wins. */
export function routeTask(task: string, taskId: string, routes: readonly TaskRoute[]): string | undefined {
  for (const route of routes) {
    if (route.task !== task) continue;
    // SHA-256, not the partitioning hash: ids differ only in their last digits, and a share needs every bit mixed.
    if (Number.parseInt(stableHash(taskId, 4), 16) / 0x1_0000_0000 < route.share) return route.tag;
  }
  return undefined;
}

/** @throws `CONFIG_INVALID` naming the rule that is wrong */
export function validateRoutes(routes: readonly TaskRoute[]): TaskRoute[] {
  return routes.map((route, i) => {
    const where = `route ${i + 1} (${JSON.stringify(route)})`;
    if (typeof route.task !== 'string' || route.task === '') throw new MillraceError('CONFIG_INVALID', `${where}: task must be a task name`, { field: 'routes' });
    if (typeof route.tag !== 'string' || !TAG_PATTERN.test(route.tag)) throw new MillraceError('CONFIG_INVALID', `${where}: tag may only hold letters, digits, ".", "_" and "-"`, { field: 'routes' });
    if (typeof route.share !== 'number' || !(route.share > 0 && route.share <= 1)) throw new MillraceError('CONFIG_INVALID', `${where}: share must be a number in (0, 1]`, { field: 'routes' });
    return { task: route.task, tag: route.tag, share: route.share };
  });
}

/** Parses `task=tag:share` (the CLI's form), e.g. `resize=v2:0.1`. */
export function parseRoute(text: string): TaskRoute {
  const match = /^([^=]+)=([^:]+):([0-9.]+)$/.exec(text.trim());
  if (match === null) throw new MillraceError('CONFIG_INVALID', `route "${text}" must read task=tag:share, e.g. resize=v2:0.1`, { field: 'routes' });
  return validateRoutes([{ task: match[1]!, tag: match[2]!, share: Number(match[3]) }])[0]!;
}
