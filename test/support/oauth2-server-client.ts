// The tests' HTTP client of the django-oauth-toolkit test server (oauth2-server.ts): its token endpoint and its
// revocation endpoint, with the client's HTTP Basic credentials, each request on a connection of its own.
import { request } from 'node:http';

/** The token endpoint of django-oauth-toolkit. */
export const OAUTH2_TOKEN_PATH = '/o/token/';
/** RFC 7009 revocation endpoint of django-oauth-toolkit. */
export const OAUTH2_REVOCATION_PATH = '/o/revoke_token/';

/** An answer of the server, as {@link OAuth2ServerClient.tokenRequest} gives it. */
export interface OAuth2Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** Bound on one request of the helpers to the server. */
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * One request to the server at `url` (`http://127.0.0.1:<port>`) on a connection of its own (nothing kept alive
 * after it), bounded by `timeoutMs`; `form`, when given, is sent form-encoded.
 */
export function sendToOAuth2Server(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string> = {},
  form?: Record<string, string>,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<OAuth2Answer> {
  const body = form === undefined ? undefined : new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${url}${path}`,
      {
        method,
        agent: false,
        timeout: timeoutMs,
        headers: {
          ...headers,
          ...(body === undefined ? {} : { 'Content-Length': Buffer.byteLength(body) }),
        },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.on('timeout', () =>
      outgoing.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)),
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The server's token and revocation endpoints, called as its confidential client. */
export class OAuth2ServerClient {
  constructor(
    private readonly url: string,
    private readonly clientId: string,
    private readonly clientSecret: string,
  ) {}

  /**
   * Revokes an access or a refresh token through the revocation endpoint (RFC 7009), authenticated as the client;
   * throws unless it answers 200.
   */
  async revoke(token: string, hint?: 'access_token' | 'refresh_token'): Promise<void> {
    const form: Record<string, string> = { token };
    if (hint !== undefined) form.token_type_hint = hint;
    const answer = await sendToOAuth2Server(
      this.url,
      'POST',
      OAUTH2_REVOCATION_PATH,
      this.formHeaders(),
      form,
    );
    if (answer.status !== 200) {
      throw new Error(`The revocation endpoint answered ${answer.status}: ${answer.body}`);
    }
  }

  /** Posts `form` to the token endpoint with the client's HTTP Basic credentials (or `clientSecret`'s). */
  tokenRequest(
    form: Record<string, string>,
    clientSecret = this.clientSecret,
  ): Promise<OAuth2Answer> {
    return sendToOAuth2Server(
      this.url,
      'POST',
      OAUTH2_TOKEN_PATH,
      this.formHeaders(clientSecret),
      form,
    );
  }

  private formHeaders(clientSecret = this.clientSecret): Record<string, string> {
    const basic = Buffer.from(`${this.clientId}:${clientSecret}`).toString('base64');
    return {
      Authorization: `Basic ${basic}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    };
  }
}
