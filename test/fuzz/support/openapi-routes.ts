/**
 * The routes to fuzz: every path and method of the server's own OpenAPI
 * document (so routes added later are fuzzed without touching the test),
 * plus the ones the document hides (metrics, the document itself, the
 * dashboard's static files).
 */

export interface FuzzRoute {
  method: string;
  /** OpenAPI form: `/api/processes/{id}`. */
  path: string;
  pathParams: string[];
  queryParams: string[];
  /** The JSON schema of the body, if the route takes one. */
  body?: JsonSchema;
  /** Open without a token, by design. */
  public: boolean;
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
}

interface Operation {
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

/** Open by design: liveness and readiness, and the dashboard's files (they hold no data; see src/server/static.ts). */
const PUBLIC = [/^\/api\/health$/, /^\/api\/ready$/, /^\/$/, /^\/(processes|queues|datasets|assets)(\/|$)/, /^\/favicon\.svg$/];

/** Routes the document hides (`schema: { hide: true }`). */
const HIDDEN: ReadonlyArray<[string, string]> = [
  ['get', '/metrics'], ['get', '/api/openapi.json'], ['get', '/'], ['get', '/processes/{id}'], ['get', '/queues/{name}'],
  ['get', '/datasets/{rest}'], ['get', '/assets/{rest}'], ['get', '/favicon.svg'],
];

export function routesOf(document: { paths: Record<string, Record<string, Operation>> }): FuzzRoute[] {
  const routes: FuzzRoute[] = [];
  const seen = new Set<string>();
  const add = (method: string, path: string, operation: Operation): void => {
    if (seen.has(`${method} ${path}`)) return;
    seen.add(`${method} ${path}`);
    const parameters = operation.parameters ?? [];
    const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
    routes.push({
      method, path, pathParams,
      queryParams: parameters.filter((p) => p.in === 'query').map((p) => p.name),
      body: operation.requestBody?.content?.['application/json']?.schema,
      public: PUBLIC.some((pattern) => pattern.test(path)),
    });
  };
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) add(method, path, operation);
    }
  }
  for (const [method, path] of HIDDEN) add(method, path, {});
  return routes;
}
