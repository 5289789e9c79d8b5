/**
 * HTTP over a bare socket, for what a well-behaved client cannot send:
 * paths exactly as written (no normalising of `..`), raw bytes, and a
 * client that sends its headers a byte at a time and then stalls.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Sends `request` (the whole thing, as bytes) and reads one response; the server must close or answer within `timeoutMs`. */
export function rawRequest(port: number, request: Buffer | string, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const parsed = parse(Buffer.concat(chunks));
      if (parsed !== undefined) {
        clearTimeout(timer);
        socket.destroy();
        resolve(parsed);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const parsed = parse(Buffer.concat(chunks), true);
      if (parsed === undefined) reject(new Error(`connection closed without a response (${Buffer.concat(chunks).length} bytes)`));
      else resolve(parsed);
    });
    socket.write(request);
  });
}

/** A slowloris: connects, sends `headers` one byte every `byteEveryMs`, never finishes. Resolves with how long the server kept it open. */
export function slowClient(port: number, headers: string, byteEveryMs: number, giveUpMs: number): Promise<{ closedAfterMs: number | undefined; response: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let sent = 0;
    let response = '';
    const drip = setInterval(() => {
      if (sent < headers.length && !socket.destroyed) socket.write(headers[sent++]!);
    }, byteEveryMs);
    const finish = (closedAfterMs: number | undefined): void => {
      clearInterval(drip);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ closedAfterMs, response });
    };
    const giveUp = setTimeout(() => finish(undefined), giveUpMs);
    socket.on('data', (chunk: Buffer) => (response += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(Date.now() - started));
  });
}

function parse(bytes: Buffer, ended = false): RawResponse | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
  if (!Number.isInteger(status)) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = bytes.subarray(end + 4);
  const length = headers['content-length'];
  if (length !== undefined) return body.length >= Number(length) ? { status, headers, body: body.subarray(0, Number(length)) } : undefined;
  if (headers['transfer-encoding'] === 'chunked') return body.includes('0\r\n\r\n') ? { status, headers, body: dechunk(body) } : undefined;
  return ended ? { status, headers, body } : undefined;
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
