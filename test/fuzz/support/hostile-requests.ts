/**
 * Hostile requests for one route: bad credentials, path parameters that
 * try to walk out of a directory, wrongly typed and out-of-range query
 * parameters, malformed, deep, polluting, oversized and wrongly typed
 * bodies. The fixed cases are always sent; random ones are drawn from the
 * run's seed.
 */
import type { FuzzRandom } from './seed.js';
import type { FuzzRoute, JsonSchema } from './openapi-routes.js';

export interface HostileRequest {
  label: string;
  method: string;
  /** Sent exactly as written (already percent-encoded where needed). */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The status the request must get, when one is certain. */
  expect?: number;
}

export interface FuzzContext {
  tokens: Record<'read' | 'operate' | 'admin' | 'revoked', string>;
  validParam(path: string, param: string): string;
  /** The sentinel file's absolute path, for traversals aimed straight at it. */
  sentinelPath: string;
}

/** Non-GET routes that a read token may call. */
const READ_SCOPE_WRITES = new Set(['post /api/live/tickets']);

const BAD_TOKENS = ['', 'not-a-token', `mr_aaaaaaaaaaaa_${'b'.repeat(43)}`, 'mr_', `mr_${'x'.repeat(5000)}`, '__proto__'];

/** Path parameter values, percent-encoded as a client would put them on the wire. */
function hostileSegments(sentinelPath: string): string[] {
  const up = (n: number, sep: string): string => `..${sep}`.repeat(n);
  const target = sentinelPath.replace(/^\//, '');
  const encodedTarget = target.split('/').map(encodeURIComponent).join('%2f');
  return [
    '..', '.', '%2e%2e', '%2e', `${up(8, '%2f')}etc%2fpasswd`, `${up(20, '%2f')}${encodedTarget}`, `%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.txt`,
    '..%2fsecret.txt', '..%2f..%2fsecret.txt', '..%5c..%5csecret.txt', '%252e%252e%252fsecret.txt', '%c0%ae%c0%ae%c0%afsecret.txt',
    '%2fetc%2fpasswd', encodeURIComponent(`/${target}`), '%00', 'runs%00', '%00..%2f', 'secret.txt', 'blobs', 'x'.repeat(101), 'x'.repeat(300),
    'a'.repeat(4000), '%ff%fe', '%E2%80%AE', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', '%20', '-', '~root', '*', '%2a', '%3f', '%23',
  ];
}

/** Wildcard tails (`/assets/*`): raw slashes allowed. */
function hostileTails(sentinelPath: string): string[] {
  const target = sentinelPath.replace(/^\//, '');
  return ['../secret.txt', '../../../../../../../../etc/passwd', `${'../'.repeat(20)}${target}`, `${'..%2f'.repeat(20)}${target.replaceAll('/', '%2f')}`,
    '%2e%2e/%2e%2e/%2e%2e/etc/passwd', '..%5c..%5c..%5cwindows', '%00', 'index.html%00.js', '.%2e/.%2e/secret.txt', 'x/'.repeat(200)];
}

const QUERY_NAMES = ['width', 'height', 'points', 'rtMin', 'rtMax', 'mzMin', 'mzMax', 'files', 'group', 'aggregate', 'scale', 'format', 'revision',
  'limit', 'prefix', 'after', 'status', 'definition', 'key', 'ticket', '__proto__', 'constructor', 'unknown'];
const QUERY_VALUES = ['100000', '4294967296', '999999999', '-1', '0', 'NaN', 'Infinity', '-Infinity', '1e400', '1e-400', '', '0x10', '1.5', '%207%20',
  '%00', 'x'.repeat(3000), '__proto__', 'true', '[]', '{}', '..%2f..%2fetc%2fpasswd', '%ff', 'all', 'max', 'log', 'binary'];

const MALFORMED = ['{', '{"a":', 'nul', '{"a":1}garbage', '\u0000', '{"a":1,}', "{'a':1}", '[1,2', '"unterminated', '{"a":01}', '\uFEFF{}'];
const WRONG_TYPES = ['[]', '"string"', '123', 'null', 'true', '[1,2,3]', '{}', '-0', '1e999'];
const POLLUTING = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '[{"__proto__":{"polluted":"yes"}}]',
  '{"a":{"b":{"__proto__":{"polluted":"yes"}}}}',
  '{"__proto__":[]}',
];
const HOSTILE_VALUES: unknown[] = [null, [], {}, 'x'.repeat(10_000), -1, 0, 1.5, 1e308, -1e308, true, '__proto__', [[[[[]]]]], { toString: 1 }, '', 2 ** 53, '1'];

export function hostileRequests(route: FuzzRoute, context: FuzzContext, random: FuzzRandom, randomCases: number): HostileRequest[] {
  const requests: HostileRequest[] = [];
  const method = route.method.toUpperCase();
  const admin = { authorization: `Bearer ${context.tokens.admin}` };
  const valid = Object.fromEntries(route.pathParams.map((param) => [param, context.validParam(route.path, param)]));
  const url = (values: Record<string, string>, query = ''): string =>
    route.path.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? encodeURIComponent(valid[name] ?? 'x')) + query;
  const validBody = route.body === undefined ? undefined : JSON.stringify(sample(route.body, route.path));
  const withBody = (headers: Record<string, string>): Pick<HostileRequest, 'headers' | 'body'> =>
    validBody === undefined ? { headers } : { headers: { ...headers, 'content-type': 'application/json' }, body: validBody };

  // Credentials: none, malformed, unknown, revoked, or too small a scope.
  for (const token of BAD_TOKENS) {
    const headers: Record<string, string> = token === '' ? {} : { authorization: `Bearer ${token}` };
    requests.push({ label: `token ${JSON.stringify(token.slice(0, 20))}`, method, path: url({}), ...withBody(headers), expect: route.public ? undefined : 401 });
  }
  requests.push({ label: 'basic auth', method, path: url({}), ...withBody({ authorization: 'Basic YWRtaW46YWRtaW4=' }), expect: route.public ? undefined : 401 });
  requests.push({ label: 'revoked token', method, path: url({}), ...withBody({ authorization: `Bearer ${context.tokens.revoked}` }), expect: route.public ? undefined : 401 });
  if (method !== 'GET' && !route.public && !READ_SCOPE_WRITES.has(`${route.method} ${route.path}`)) {
    requests.push({ label: 'read token on a write', method, path: url({}), ...withBody({ authorization: `Bearer ${context.tokens.read}` }), expect: 403 });
  }

  // Path parameters: traversal, NUL, very long, odd names.
  for (const param of route.pathParams) {
    const values = param === 'rest' ? hostileTails(context.sentinelPath) : hostileSegments(context.sentinelPath);
    for (const value of values) requests.push({ label: `path ${param}=${value.slice(0, 40)}`, method, path: url({ [param]: value }), ...withBody(admin) });
  }

  // Query parameters: the route's own and a dictionary of others, wrongly typed, out of range, repeated.
  const names = [...new Set([...route.queryParams, ...QUERY_NAMES])];
  const base = route.path.startsWith('/api/datasets/{name}/') ? (route.path.endsWith('chromatogram') || route.path.endsWith('spectrum') ? 'group=all&points=32' : 'group=all&width=64&height=32') : '';
  if (base !== '') {
    for (const [w, h] of [['100000', '100000'], ['65536', '65536'], ['999999999', '999999999'], ['1', '999999999'], ['0', '0']]) {
      requests.push({ label: `huge image ${w}x${h}`, method, path: url({}, `?group=all&width=${w}&height=${h}`), headers: admin });
    }
    requests.push({ label: 'huge points', method, path: url({}, '?group=all&points=999999999'), headers: admin });
    for (const bounds of ['rtMin=1e400', 'rtMax=-1e400', 'mzMin=2000&mzMax=100', 'rtMin=5&rtMax=5', 'mzMin=1e-400&mzMax=1e-399', 'files=run-001,run-001', 'files=..%2fsecret.txt']) {
      requests.push({ label: `bounds ${bounds}`, method, path: url({}, `?${base}&${bounds}`), headers: admin });
    }
  }
  for (let i = 0; i < randomCases; i++) {
    const name = random.pick(names);
    const value = random.pick(QUERY_VALUES);
    const shape = random.int(0, 4);
    const pair = shape === 0 ? `${name}=${value}&${name}=${value}` : shape === 1 ? `${name}[]=${value}` : shape === 2 ? `${name}[__proto__][polluted]=${value}` : `${encodeURIComponent(name)}=${value}`;
    const query = `?${[random.next() < 0.5 ? base : '', pair].filter((part) => part !== '').join('&')}`;
    requests.push({ label: `query ${query.slice(0, 60)}`, method, path: url({}, query), headers: admin });
  }
  requests.push({ label: 'query polluting', method, path: url({}, '?__proto__[polluted]=yes&constructor[prototype][polluted]=yes'), headers: admin });

  // Bodies, for routes that take one (and a few for those that do not).
  if (method === 'GET') return requests;
  const json = { ...admin, 'content-type': 'application/json' };
  for (const body of [...MALFORMED, ...WRONG_TYPES, ...POLLUTING]) requests.push({ label: `body ${body.slice(0, 30)}`, method, path: url({}), headers: json, body });
  requests.push({ label: 'body deep array', method, path: url({}), headers: json, body: `${'['.repeat(20_000)}${']'.repeat(20_000)}` });
  requests.push({ label: 'body deep object', method, path: url({}), headers: json, body: `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}` });
  requests.push({ label: 'body oversized', method, path: url({}), headers: json, body: JSON.stringify({ a: 'x'.repeat(2 * 1024 * 1024) }), expect: 413 });
  for (const contentType of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/x-ndjson', 'application/octet-stream', '', 'application/json, text/plain']) {
    const headers: Record<string, string> = { ...admin };
    if (contentType !== '') headers['content-type'] = contentType;
    requests.push({ label: `content-type ${contentType || '(none)'}`, method, path: url({}), headers, body: validBody ?? '{"a":1}' });
  }
  if (route.body?.properties !== undefined) {
    const fields = Object.keys(route.body.properties);
    for (let i = 0; i < randomCases / 2; i++) {
      const object = sample(route.body, route.path) as Record<string, unknown>;
      object[random.pick([...fields, '__proto__', 'constructor', 'extra'])] = random.pick(HOSTILE_VALUES);
      requests.push({ label: `body field ${JSON.stringify(object).slice(0, 60)}`, method, path: url({}), headers: json, body: JSON.stringify(object) });
    }
  }
  return requests;
}

/** A body the schema accepts, as near as a simple reading of it gets. */
function sample(schema: JsonSchema, path: string): unknown {
  if (path === '/api/processes') return { definition: 'squares', input: { n: 1 } };
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (schema.enum !== undefined) return schema.enum[0];
  if (type === 'object') {
    const entries = Object.entries(schema.properties ?? {}).slice(0, 1).map(([name, property]) => [name, sample(property, path)]);
    return Object.fromEntries(entries);
  }
  if (type === 'array') return [];
  if (type === 'integer' || type === 'number') return 1;
  if (type === 'boolean') return true;
  if (type === 'string') return 'x';
  return {};
}
