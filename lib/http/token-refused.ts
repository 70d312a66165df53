import type { AxiosResponse } from 'axios';

/**
 * Whether an answer refuses the token it was sent with: a 401, or a 403 whose `WWW-Authenticate` has a Bearer
 * challenge with `error="invalid_token"` (servers that answer a refused token with 403). Any other 403 is a real
 * permission error (EnKash's "APIs not enabled", `insufficient_scope`): the caller's, not the token's.
 */
export function refusesToken<Answer extends Pick<AxiosResponse, 'status' | 'headers'>>(
  answer: Answer | undefined,
): answer is Answer {
  if (answer === undefined) return false;
  if (answer.status === 401) return true;
  if (answer.status !== 403) return false;
  const header = headerNamed(answer.headers, 'www-authenticate');
  const text = Array.isArray(header) ? header.join(', ') : header;
  return typeof text === 'string' && bearerErrors(text).includes('invalid_token');
}

/** A header's value, its name matched without regard to case, whether `headers` is axios's `AxiosHeaders` or not. */
function headerNamed(headers: unknown, lowerCaseName: string): unknown {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const { get } = headers as { get?: unknown };
  if (typeof get === 'function')
    return (get as (name: string) => unknown).call(headers, lowerCaseName);
  const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === lowerCaseName);
  return entry?.[1];
}

/** A token (RFC 9110 `token`), a quoted string with its escapes, or a separator. */
const LEXEME = /\s*(?:([!#$%&'*+.^_`|~0-9A-Za-z-]+)|"((?:[^"\\]|\\.)*)"|([=,]))/y;

/**
 * The `error` parameter of each Bearer challenge in a `WWW-Authenticate` value (RFC 9110 section 11.6.1, RFC 6750
 * section 3): challenges are split outside quoted strings, the scheme is matched case-insensitively, the value read
 * whole, quoted or not. A value that does not parse yields what was read before the trouble.
 */
export function bearerErrors(value: string): string[] {
  const lexemes: Array<{ token?: string; quoted?: string; separator?: string }> = [];
  LEXEME.lastIndex = 0;
  for (let match = LEXEME.exec(value); match !== null; match = LEXEME.exec(value)) {
    const [, token, quoted, separator] = match;
    if (token !== undefined) lexemes.push({ token });
    else if (quoted !== undefined) lexemes.push({ quoted: quoted.replace(/\\(.)/g, '$1') });
    else if (separator !== undefined) lexemes.push({ separator });
  }
  const errors: string[] = [];
  let scheme: string | undefined;
  for (let index = 0; index < lexemes.length; index += 1) {
    const lexeme = lexemes[index]!;
    const next = lexemes[index + 1];
    if (lexeme.token === undefined) continue;
    if (next?.separator === '=') {
      // A parameter: name = value (a token or a quoted string), within the current challenge.
      const valueLexeme = lexemes[index + 2];
      const parameterValue = valueLexeme?.token ?? valueLexeme?.quoted;
      if (
        scheme === 'bearer' &&
        lexeme.token.toLowerCase() === 'error' &&
        parameterValue !== undefined
      ) {
        errors.push(parameterValue);
      }
      index += 2;
    } else {
      // A token that is not a parameter's name starts a new challenge: it is its scheme.
      scheme = lexeme.token.toLowerCase();
    }
  }
  return errors;
}
