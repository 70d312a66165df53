import { describe, expect, it } from '@jest/globals';
import { HttpException } from '@nestjs/common';
import { EnkashAuthError } from '../errors/enkash-auth.error.js';
import type { EnkashAuthErrorCode, EnkashAuthErrorDetails } from '../errors/enkash-auth.error.js';
import { isTokenFailure, tokenUnavailableAnswer } from './token-unavailable.exception.js';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');

/** A library error whose message holds what the client must never see: a URL and a setting's name. */
const failure = (code: EnkashAuthErrorCode, details: EnkashAuthErrorDetails = {}) =>
  new EnkashAuthError(
    code,
    `internal detail: https://enkash.internal/oauth/token (${code})`,
    details,
  );

const body = (answer: ReturnType<typeof tokenUnavailableAnswer>): Record<string, unknown> =>
  answer.exception.getResponse() as Record<string, unknown>;

describe('tokenUnavailableAnswer', () => {
  describe('the status', () => {
    it.each<EnkashAuthErrorCode>(['invalid_credentials', 'invalid_client', 'config'])(
      'is 502 Bad Gateway for %s: an operator must act, trying again cannot help',
      (code) => {
        const answer = tokenUnavailableAnswer(failure(code), null, NOW);
        expect(answer.exception).toBeInstanceOf(HttpException);
        expect(answer.exception.getStatus()).toBe(502);
        expect(body(answer)).toMatchObject({ statusCode: 502, error: 'Bad Gateway', code });
        expect(answer.retryAfterSeconds).toBeUndefined();
      },
    );

    it.each<EnkashAuthErrorCode>([
      'timeout',
      'network',
      'server_error',
      'rate_limited',
      'malformed_response',
    ])('is 503 Service Unavailable for %s, with a Retry-After', (code) => {
      const answer = tokenUnavailableAnswer(failure(code, { retryable: true }), null, NOW);
      expect(answer.exception.getStatus()).toBe(503);
      expect(body(answer)).toMatchObject({ statusCode: 503, error: 'Service Unavailable', code });
      expect(answer.retryAfterSeconds).toEqual(expect.any(Number));
    });

    it('stays 502 without Retry-After for a configuration error the engine still retries (a 404 page)', () => {
      const error = failure('config', { status: 404, retryable: true, retryAfterMs: 10_000 });
      const answer = tokenUnavailableAnswer(error, new Date(NOW + 3_000), NOW);
      expect(answer.exception.getStatus()).toBe(502);
      expect(answer.retryAfterSeconds).toBeUndefined();
      expect(body(answer)).not.toHaveProperty('retryAfterSeconds');
    });
  });

  describe('the Retry-After', () => {
    it("is EnKash's own Retry-After, in whole seconds rounded up", () => {
      const exact = failure('rate_limited', { retryable: true, retryAfterMs: 30_000 });
      expect(tokenUnavailableAnswer(exact, null, NOW).retryAfterSeconds).toBe(30);
      const fraction = failure('server_error', { retryable: true, retryAfterMs: 1_200 });
      expect(tokenUnavailableAnswer(fraction, null, NOW).retryAfterSeconds).toBe(2);
    });

    it("prefers the time left until the engine's next attempt, which already honours EnKash's wait", () => {
      const error = failure('rate_limited', { retryable: true, retryAfterMs: 30_000 });
      const answer = tokenUnavailableAnswer(error, new Date(NOW + 4_000), NOW);
      expect(answer.retryAfterSeconds).toBe(4);
    });

    it("falls back to EnKash's Retry-After when no attempt is scheduled", () => {
      const error = failure('rate_limited', { retryable: true, retryAfterMs: 30_000 });
      expect(tokenUnavailableAnswer(error, new Date(NOW - 1), NOW).retryAfterSeconds).toBe(30);
    });

    it("is the time left until the engine's next attempt when EnKash asked for no wait", () => {
      const error = failure('timeout', { retryable: true });
      expect(tokenUnavailableAnswer(error, new Date(NOW + 2_300), NOW).retryAfterSeconds).toBe(3);
      expect(tokenUnavailableAnswer(error, new Date(NOW + 1), NOW).retryAfterSeconds).toBe(1);
    });

    it('is 5 seconds when nothing tells when to try again, or the next attempt is already due', () => {
      const error = failure('network', { retryable: true });
      expect(tokenUnavailableAnswer(error, null, NOW).retryAfterSeconds).toBe(5);
      expect(tokenUnavailableAnswer(error, new Date(NOW), NOW).retryAfterSeconds).toBe(5);
      expect(tokenUnavailableAnswer(error, new Date(NOW - 2_000), NOW).retryAfterSeconds).toBe(5);
      const zero = failure('rate_limited', { retryable: true, retryAfterMs: 0 });
      expect(tokenUnavailableAnswer(zero, null, NOW).retryAfterSeconds).toBe(5);
    });

    it('is absent for a failure that trying again cannot cure: the application shutting down', () => {
      const shutdown = failure('network'); // retryable: false, as the engine raises it when closed
      const answer = tokenUnavailableAnswer(shutdown, new Date(NOW + 3_000), NOW);
      expect(answer.exception.getStatus()).toBe(503);
      expect(answer.retryAfterSeconds).toBeUndefined();
      expect(body(answer)).not.toHaveProperty('retryAfterSeconds');
      // EnKash itself may be fine: the message must not send the reader looking there.
      expect(body(answer)['message']).toBe(
        'This service is shutting down and can no longer obtain an EnKash token.',
      );
    });

    it('is repeated in the body as retryAfterSeconds and in the message', () => {
      const error = failure('rate_limited', { retryable: true, retryAfterMs: 30_000 });
      expect(body(tokenUnavailableAnswer(error, null, NOW))).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'EnKash is rate-limiting token requests. Try again in 30 s.',
        code: 'rate_limited',
        retryAfterSeconds: 30,
      });
    });
  });

  describe('the body', () => {
    it.each<[EnkashAuthErrorCode, boolean, RegExp]>([
      ['invalid_credentials', false, /EnKash rejected the credentials.*operator/],
      ['invalid_client', false, /EnKash rejected the client id or secret.*operator/],
      ['config', false, /EnKash configuration is invalid.*operator/],
      ['timeout', true, /did not answer in time\. Try again in \d+ s\./],
      ['network', true, /cannot be reached\. Try again in \d+ s\./],
      ['server_error', true, /failing \(server error\)\. Try again in \d+ s\./],
      ['rate_limited', true, /rate-limiting token requests\. Try again in \d+ s\./],
      ['malformed_response', true, /answer that is not a token\. Try again in \d+ s\./],
    ])('names the cause of %s in words', (code, retryable, words) => {
      const answer = tokenUnavailableAnswer(failure(code, { retryable }), null, NOW);
      expect(body(answer)['message']).toMatch(words);
    });

    it("holds none of the library error's details, and no cause", () => {
      const error = failure('server_error', {
        status: 500,
        retryable: true,
        oauthError: 'server_error',
        grantType: 'refresh_token',
      });
      const answer = tokenUnavailableAnswer(error, null, NOW);
      const shown = JSON.stringify(answer.exception.getResponse());
      expect(shown).not.toContain('internal detail');
      expect(shown).not.toContain('enkash.internal');
      expect(shown).not.toContain('refresh_token');
      expect(Object.keys(body(answer)).sort()).toEqual(
        ['code', 'error', 'message', 'retryAfterSeconds', 'statusCode'].sort(),
      );
      expect(answer.exception.cause).toBeUndefined();
    });
  });
});

describe('isTokenFailure', () => {
  it('recognises the library error only', () => {
    expect(isTokenFailure(failure('timeout'))).toBe(true);
    expect(isTokenFailure(new Error('timeout'))).toBe(false);
    expect(isTokenFailure({ code: 'timeout', retryable: true })).toBe(false);
    expect(isTokenFailure(undefined)).toBe(false);
  });
});
