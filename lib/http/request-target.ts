import type { InternalAxiosRequestConfig } from 'axios';

/** axios's own test for an absolute URL (`isAbsoluteURL`): a scheme, or a protocol-relative `//`. */
const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;

type TargetConfig = Pick<InternalAxiosRequestConfig, 'url' | 'baseURL' | 'allowAbsoluteUrls'>;

/**
 * The URL a request goes to, combined from `baseURL` and `url` exactly as axios's `buildFullPath` does, so that the
 * decision to attach the token is made on the URL the request will really reach.
 */
export function fullRequestUrl(config: TargetConfig): string {
  const url = config.url ?? '';
  const baseURL = config.baseURL;
  if (baseURL && (!ABSOLUTE_URL.test(url) || config.allowAbsoluteUrls === false)) {
    return url ? `${baseURL.replace(/\/?\/$/, '')}/${url.replace(/^\/+/, '')}` : baseURL;
  }
  return url;
}

/** Parses a URL; `undefined` when it does not parse (it is not an absolute URL). */
export function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Tells whether a request goes to EnKash: same scheme, host and port as `baseUrl`. */
export class EnkashOrigin {
  private readonly origin: string;

  constructor(private readonly baseUrl: string) {
    this.origin = new URL(baseUrl).origin;
  }

  /** Whether the request's resolved URL has the origin of `baseUrl`. Anything that cannot be parsed is foreign. */
  matches(config: TargetConfig): boolean {
    // The common case, a relative path on the instance's own baseURL, needs no parsing.
    if (
      config.baseURL === this.baseUrl &&
      config.url !== undefined &&
      !ABSOLUTE_URL.test(config.url)
    ) {
      return true;
    }
    return parseUrl(fullRequestUrl(config))?.origin === this.origin;
  }

  /** Whether an absolute URL (or an origin) is on EnKash's origin. */
  matchesUrl(url: string | undefined): boolean {
    return url !== undefined && parseUrl(url)?.origin === this.origin;
  }
}

/** Method, origin-and-path and path of a request, for errors: never the query string or userinfo. */
export function describeTarget(config: TargetConfig & Pick<InternalAxiosRequestConfig, 'method'>): {
  method: string;
  url: string;
  path: string;
} {
  const method = (config.method ?? 'get').toUpperCase();
  const full = fullRequestUrl(config);
  const parsed = parseUrl(full);
  if (parsed === undefined) {
    const path = full.split(/[?#]/, 1)[0] ?? '';
    return { method, url: path, path };
  }
  return { method, url: parsed.origin + parsed.pathname, path: parsed.pathname };
}
