// A scripted token endpoint for the token engine's timing specs, and the token answers they script it with.
import { EnkashAuthError } from '../../lib/errors/enkash-auth.error.js';
import { interpretTokenAnswer } from '../../lib/token/token-answer.js';
import type { TokenGrantClient } from '../../lib/token/token-engine.js';
import type { TokenSet } from '../../lib/token/token-set.js';

/** `getAccessToken()`'s options for a caller who does not wait for a later token request. */
export const NO_WAIT = { waitMs: 0 } as const;

/** What the scripted endpoint answers one grant with: a token, or the error the token client would throw. */
export type Answer = TokenSet | EnkashAuthError;

/** A token endpoint stand-in for timing tests: answers from a queue, after `latencyMs` of fake time. */
export class ScriptedGrants implements TokenGrantClient {
  readonly calls: Array<{ grant: 'password' | 'refresh_token'; refreshToken?: string }> = [];
  /** `Date.now()` (fake time) of each call, in order. */
  readonly sentAt: number[] = [];
  readonly answers: { password: Answer[]; refresh_token: Answer[] } = {
    password: [],
    refresh_token: [],
  };
  closed = false;
  latencyMs = 0;
  /** The lifetime of the tokens it issues when no answer is queued. */
  lifetimeSeconds = 86_399;
  private issued = 0;

  requestPasswordGrant(): Promise<TokenSet> {
    this.calls.push({ grant: 'password' });
    this.sentAt.push(Date.now());
    return this.answer(this.answers.password.shift());
  }

  requestRefreshGrant(refreshToken: string): Promise<TokenSet> {
    this.calls.push({ grant: 'refresh_token', refreshToken });
    this.sentAt.push(Date.now());
    return this.answer(this.answers.refresh_token.shift());
  }

  close(): void {
    this.closed = true;
  }

  count(grant: 'password' | 'refresh_token'): number {
    return this.calls.filter((call) => call.grant === grant).length;
  }

  private answer(answer: Answer | undefined): Promise<TokenSet> {
    const result = answer ?? token(this.lifetimeSeconds, `access-${++this.issued}`);
    return new Promise((resolve, reject) => {
      const settle = (): void =>
        result instanceof EnkashAuthError ? reject(result) : resolve(result);
      if (this.latencyMs > 0) setTimeout(settle, this.latencyMs);
      else settle();
    });
  }
}

/** A token set that lives `expiresInSeconds`, as the token client reads it from an answer. */
export function token(
  expiresInSeconds: number,
  accessToken = 'access-x',
  refreshToken = 'refresh-1',
): TokenSet {
  return { accessToken, refreshToken, lifetimeMs: expiresInSeconds * 1000, lifetimeAssumed: false };
}

/**
 * What the token client makes of a 200 answer whose `expires_in` is the given JSON text (omitted when `undefined`):
 * the token set, or the error it throws.
 */
export function answerWithExpiresIn(
  expiresInJson: string | undefined,
  accessToken = 'odd',
): Answer {
  const body =
    `{"access_token":"${accessToken}","token_type":"bearer","refresh_token":"refresh-odd"` +
    (expiresInJson === undefined ? '' : `,"expires_in":${expiresInJson}`) +
    '}';
  try {
    return interpretTokenAnswer(
      { status: 200, body, retryAfter: undefined },
      'password',
      'https://ekpayout-uat.enkash.in/oauth/token',
      [],
    );
  } catch (error) {
    if (error instanceof EnkashAuthError) return error;
    throw error;
  }
}
