// Reading the API's error bodies ({"error": {"code", "message", "fields"}}) into one message.

/** A failed API call, carrying the HTTP status and the server's message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly fields: Record<string, string>;

  constructor(status: number, message: string, code: string | null = null, fields = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fieldsOf(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  const result: Record<string, string> = {};
  for (const [key, message] of Object.entries(value)) {
    if (typeof message === "string") result[key] = message;
  }
  return result;
}

/** Build an ApiError from a status and whatever body the server sent (or none). */
export function toApiError(status: number, body: unknown): ApiError {
  if (isRecord(body)) {
    const inner = body.error;
    if (isRecord(inner) && typeof inner.message === "string") {
      const code = typeof inner.code === "string" ? inner.code : null;
      return new ApiError(status, inner.message, code, fieldsOf(inner.fields));
    }
    // FastAPI's own shapes: {"detail": "..."} or {"detail": [{"loc": [...], "msg": "..."}]}.
    const detail = body.detail;
    if (typeof detail === "string") return new ApiError(status, detail);
    if (Array.isArray(detail)) {
      const messages = detail
        .filter(isRecord)
        .map((item) => (typeof item.msg === "string" ? item.msg : null))
        .filter((message): message is string => message !== null);
      if (messages.length > 0) return new ApiError(status, messages.join("; "));
    }
  }
  return new ApiError(status, defaultMessage(status));
}

function defaultMessage(status: number): string {
  if (status === 0) return "The server could not be reached.";
  if (status === 401) return "Your session has ended. Please sign in again.";
  if (status === 403) return "You are not allowed to do that.";
  if (status === 404) return "Not found.";
  if (status === 429) return "Too many requests; try again in a moment.";
  if (status >= 500) return `The server failed (${status}). Try again later.`;
  return `The request failed (${status}).`;
}

/** Return a message fit for a person from anything a query or mutation threw. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong.";
}
