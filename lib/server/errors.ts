// One error type for everything a caller can get wrong; route handlers map it to a JSON answer.
export type ErrorCode = "unauthenticated" | "forbidden" | "not_found" | "malformed_json" | "invalid_input" | "payload_too_large" | "unsupported_media_type" | "conflict" | "gone" | "rate_limited";

const STATUS: Record<ErrorCode, number> = {
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  malformed_json: 400,
  invalid_input: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  conflict: 409,
  gone: 410,
  rate_limited: 429,
};

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** sent as `Retry-After` (seconds): when a refused request may be made again */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}
