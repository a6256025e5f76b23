// HTTP to a port on the host through the transport (an SSH direct-tcpip channel, or a local socket): engine health,
// /metrics, /reset_prefix_cache, and the native benchmark's requests through the tunnel.
import { Agent, request, type AgentOptions, type IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Transport } from './transport';

/** ssh2 channels are Duplex streams without the socket methods http calls; give them harmless ones. */
function asSocket(stream: Duplex): Duplex {
  const s = stream as Duplex & Record<string, unknown>;
  for (const method of ['setTimeout', 'setNoDelay', 'setKeepAlive', 'ref', 'unref']) {
    if (typeof s[method] !== 'function') s[method] = () => s;
  }
  return s;
}

/** An http.Agent whose connections are opened through the transport to `host` (127.0.0.1 on the GPU host). */
export function tunnelAgent(transport: Transport, options: AgentOptions & { host?: string } = {}): Agent {
  const agent = new Agent({ keepAlive: true, ...options });
  const target = options.host ?? '127.0.0.1';
  (agent as unknown as { createConnection: unknown }).createConnection = (opts: { port?: number | string }, callback: (err: Error | null, socket?: Duplex) => void) => {
    transport.openTcp(Number(opts.port), target).then(
      (stream) => callback(null, asSocket(stream)),
      (err: Error) => callback(err),
    );
    return undefined;
  };
  return agent;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpRequestOptions {
  port: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Milliseconds until the request is abandoned; default 10 000. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Address as seen from the host; default 127.0.0.1. */
  host?: string;
}

/** One HTTP request to the host's port through the transport; rejects on connection failure or timeout. */
export async function httpRequest(transport: Transport, options: HttpRequestOptions): Promise<HttpResponse> {
  const stream = asSocket(await transport.openTcp(options.port, options.host));
  return new Promise((resolve, reject) => {
    const req = request({
      method: options.method ?? 'GET',
      path: options.path,
      host: options.host ?? '127.0.0.1',
      port: options.port,
      headers: { ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}), ...options.headers },
      createConnection: () => stream as never,
      signal: options.signal,
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer from port ${options.port}${options.path} within ${options.timeoutMs ?? 10_000} ms`)), options.timeoutMs ?? 10_000);
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.once('end', () => {
        clearTimeout(timer);
        stream.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.once('error', (err) => {
      clearTimeout(timer);
      stream.destroy();
      reject(err);
    });
    req.end(options.body);
  });
}
