import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Content type of every JSON answer, spelled as Spring sends it. */
export const JSON_CONTENT_TYPE = 'application/json;charset=UTF-8';

/** Headers Spring's token endpoint puts on every answer. */
export const NO_STORE_HEADERS = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

/** Reads the whole request body as UTF-8 text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Sends a complete answer with `Content-Length`, unless the socket is already gone. */
export function send(
  res: ServerResponse,
  status: number,
  body: string,
  headers: OutgoingHttpHeaders = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const own = Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length');
  res.writeHead(status, { ...Object.fromEntries(own), 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Sends a JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  send(res, status, JSON.stringify(body), { 'Content-Type': JSON_CONTENT_TYPE, ...headers });
}

/** Sends a Spring-style OAuth2 error `{"error":..., "error_description":...}`. */
export function sendOAuthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers: OutgoingHttpHeaders = {},
): void {
  sendJson(res, status, { error, error_description: description }, headers);
}

/** Client id and secret taken from a `Basic` authorization header. */
export interface BasicCredentials {
  /** The part before the first colon. */
  id: string;
  /** The part after the first colon. */
  secret: string;
}

/** Parses `Basic base64(id:secret)`; `undefined` when absent or malformed. */
export function parseBasic(header: string | undefined): BasicCredentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** The token of a `Bearer <token>` authorization header; `undefined` when absent. */
export function parseBearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : undefined;
}

/** Decodes an `application/x-www-form-urlencoded` body, keeping the first value of each field. */
export function parseForm(body: string): Record<string, string> {
  const fields = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(body)) {
    if (!fields.has(key)) fields.set(key, value);
  }
  return Object.fromEntries(fields);
}

/** The media type of a `Content-Type` header, lower-cased and without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}
