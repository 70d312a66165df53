/** The envelope of EnKash's answers: `response_code` 0 means success, `payload` holds the result. */
export interface EnkashAnswer<T = unknown> {
  response_code: number;
  response_message: string;
  payload: T;
}
