/** What `EnkashAuthInterceptor` adds to the HTTP request object before the handler runs. */
export interface EnkashAuthenticatedRequest {
  /** The valid EnKash access token obtained for this request. Never log it. */
  enkash: string;
}
