/** An HTTP answer read in full: for specs that call a server with `fetch` and check what came back. */
export interface WireAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

/** Reads `response` to the end. */
export async function readAnswer(response: Response): Promise<WireAnswer> {
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
