import { describe, expect, it } from '@jest/globals';
import { AxiosHeaders } from 'axios';
import { bearerErrors, refusesToken } from './token-refused.js';

// Which answers refuse the token they were sent with: a 401, or a 403 whose Bearer challenge says invalid_token.

describe('bearerErrors', () => {
  it.each([
    ['Bearer error="invalid_token"', ['invalid_token']],
    ['Bearer error=invalid_token', ['invalid_token']],
    ['bearer ERROR="invalid_token"', ['invalid_token']],
    [
      'Bearer realm="example", error="invalid_token", error_description="The access token expired"',
      ['invalid_token'],
    ],
    ['Basic realm="api", Bearer realm="api", error="invalid_token"', ['invalid_token']],
    ['Bearer error="insufficient_scope", scope="payouts"', ['insufficient_scope']],
    ['Bearer realm="x", Other error="invalid_token"', []],
    [
      'Bearer error="insufficient_scope", error_description="not error=invalid_token"',
      ['insufficient_scope'],
    ],
    ['Bearer error="invalid_tokens"', ['invalid_tokens']],
    ['Bearer-Ext error="invalid_token"', []],
    ['Basic realm="a,Bearer error=invalid_token"', []],
    ['Bearer error="invalid_\\"token"', ['invalid_"token']],
    ['Bearer', []],
    ['', []],
  ])('reads %s', (header, errors) => {
    expect(bearerErrors(header)).toEqual(errors);
  });
});

describe('refusesToken', () => {
  const answer = (status: number, headers: Record<string, string | string[]> = {}) => ({
    status,
    headers: new AxiosHeaders(headers as Record<string, string>),
  });

  it('holds for every 401', () => {
    expect(refusesToken(answer(401))).toBe(true);
  });

  it('holds for a 403 with a Bearer invalid_token challenge, however the header is spelled', () => {
    expect(refusesToken(answer(403, { 'WWW-Authenticate': 'Bearer error="invalid_token"' }))).toBe(
      true,
    );
    expect(refusesToken(answer(403, { 'www-authenticate': 'Bearer error=invalid_token' }))).toBe(
      true,
    );
    expect(
      refusesToken({
        status: 403,
        headers: { 'www-authenticate': ['Basic realm="api"', 'Bearer error="invalid_token"'] },
      }),
    ).toBe(true);
  });

  it('does not hold for any other 403 or status', () => {
    expect(refusesToken(answer(403))).toBe(false);
    expect(
      refusesToken(answer(403, { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' })),
    ).toBe(false);
    expect(refusesToken(answer(400, { 'WWW-Authenticate': 'Bearer error="invalid_token"' }))).toBe(
      false,
    );
    expect(refusesToken(undefined)).toBe(false);
  });
});
