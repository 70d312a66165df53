import { isStream } from './streams.js';

const REDACTED = '[redacted]';

/** Whatever follows "Bearer " is a token, whether we know it or not. */
const BEARER_VALUE = /(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi;

/** Beyond this depth an error body is not JSON from EnKash: it is cut rather than walked. */
const MAX_DEPTH = 32;

/** The ways a secret can appear in text: as is, URL-encoded and form-encoded. */
function formsOf(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ value: secret }).toString().slice('value='.length),
  ];
}

/**
 * Masks secrets and tokens in what EnKash answered before it leaves the library: Spring echoes the refused token in
 * 401 answers ("Invalid access token: …"), and a proxy may echo request headers in an error page.
 */
export class SecretRedactor {
  private readonly forms: string[];

  constructor(secrets: readonly string[]) {
    this.forms = secrets.filter((secret) => secret !== '').flatMap(formsOf);
  }

  /** A redactor that also masks `tokens` (the ones a request carried, the current one). */
  with(tokens: readonly (string | undefined)[]): SecretRedactor {
    const known = tokens.filter((token): token is string => token !== undefined && token !== '');
    const redactor = new SecretRedactor([]);
    // Longest first, so that a secret containing another is masked whole.
    redactor.forms.push(...this.forms, ...known.flatMap(formsOf));
    redactor.forms.sort((a, b) => b.length - a.length);
    return redactor;
  }

  /** `text` with every known secret, and any bearer value, replaced by `[redacted]`. */
  text(text: string): string {
    let masked = text;
    for (const form of this.forms) {
      if (masked.includes(form)) masked = masked.split(form).join(REDACTED);
    }
    return masked.replace(BEARER_VALUE, `$1${REDACTED}`);
  }

  /**
   * A copy of an answer body with every string masked. Binary bodies become masked text; a stream body is
   * destroyed and dropped (it would hold the socket, and its `req` holds the request headers).
   */
  value(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.text(value);
    if (value === null || typeof value !== 'object') {
      return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
    }
    if (depth >= MAX_DEPTH) return REDACTED;
    if (Buffer.isBuffer(value)) return this.text(value.toString('utf8'));
    if (value instanceof ArrayBuffer) return this.text(Buffer.from(value).toString('utf8'));
    if (ArrayBuffer.isView(value)) {
      return this.text(
        Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'),
      );
    }
    if (isStream(value)) {
      value.destroy?.();
      return undefined;
    }
    if (Array.isArray(value)) return value.map((item) => this.value(item, depth + 1));
    if (value instanceof Date) return value;
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      copy[this.text(key)] = this.value(item, depth + 1);
    }
    return copy;
  }
}
