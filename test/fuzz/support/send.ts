/**
 * Sends fuzz requests over keep-alive connections, a few at a time, and
 * judges each answer: never a 5xx, an error is JSON with a message and no
 * stack trace, nothing from outside the blob root, and the status the
 * request must get when one is certain.
 */
import { Agent, request as httpRequest } from 'node:http';
import type { HostileRequest } from './hostile-requests.js';

export interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** One bad answer, with what was sent. */
export interface Finding {
  request: string;
  problem: string;
}

export function createSender(port: number, concurrency: number): { send(request: HostileRequest): Promise<Answer>; sendAll(requests: readonly HostileRequest[], judge: (request: HostileRequest, answer: Answer | Error) => void): Promise<void>; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const send = (hostile: HostileRequest): Promise<Answer> => new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...hostile.headers };
    if (hostile.body !== undefined) headers['content-length'] = Buffer.byteLength(hostile.body);
    const request = httpRequest({ host: '127.0.0.1', port, method: hostile.method, path: hostile.path, headers, agent }, (response) => {
      const contentType = String(response.headers['content-type'] ?? '');
      if (contentType.startsWith('text/event-stream')) {
        // A live stream never ends: its status is the answer.
        resolve({ status: response.statusCode ?? 0, contentType, body: Buffer.alloc(0) });
        request.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.setTimeout(20_000, () => request.destroy(new Error('no answer within 20 s')));
    request.on('error', reject);
    request.end(hostile.body);
  });
  return {
    send,
    async sendAll(requests, judge) {
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < requests.length) {
          const hostile = requests[next++]!;
          judge(hostile, await send(hostile).catch((error: unknown) => error as Error));
        }
      };
      await Promise.all(Array.from({ length: concurrency }, lane));
    },
    close: () => agent.destroy(),
  };
}

const STACK = /\n\s+at\s|\bat [\w.<>]+ \(|node_modules|\/src\/|\.ts:\d+/;

/** What is wrong with an answer, or undefined. */
export function judgeAnswer(request: HostileRequest, answer: Answer | Error, secrets: readonly string[]): string | undefined {
  if (answer instanceof Error) {
    // A server may close the connection on a body it refused before reading it all.
    if (request.expect === 413 && /EPIPE|ECONNRESET|socket hang up/.test(answer.message)) return undefined;
    return `no answer: ${answer.message}`;
  }
  const text = answer.body.toString('latin1');
  for (const secret of secrets) if (text.includes(secret)) return `the answer holds ${JSON.stringify(secret)} (a file outside the blob root)`;
  if (answer.status >= 500) return `status ${answer.status}: ${text.slice(0, 200)}`;
  if (request.expect !== undefined && answer.status !== request.expect) return `status ${answer.status}, expected ${request.expect}: ${text.slice(0, 200)}`;
  if (STACK.test(text) && answer.status >= 400) return `a stack trace or source path in the answer: ${text.slice(0, 300)}`;
  if (answer.status >= 400 && request.method !== 'HEAD') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return `status ${answer.status} with a body that is not JSON (${answer.contentType}): ${text.slice(0, 200)}`;
    }
    const message = (parsed as { error?: { message?: unknown } } | null)?.error?.message;
    if (typeof message !== 'string' || message === '') return `status ${answer.status} without error.message: ${text.slice(0, 200)}`;
  }
  return undefined;
}
