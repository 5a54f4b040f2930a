// Turning form state into API query parameters: no empty strings, no undefined, no NaN.

export type QueryValue = string | number | boolean | null | undefined;

/** Return the entries of `params` that carry a value, with strings trimmed. */
export function compactQuery<T extends Record<string, QueryValue>>(params: T): Partial<T> {
  const result: Partial<T> = {};
  for (const key of Object.keys(params) as (keyof T)[]) {
    const value: QueryValue = params[key];
    if (value === null || value === undefined) continue;
    if (typeof value === "number" && !Number.isFinite(value)) continue;
    if (typeof value === "string") {
      const trimmed = value.trim();
      if (trimmed === "") continue;
      result[key] = trimmed as T[keyof T];
      continue;
    }
    result[key] = value as T[keyof T];
  }
  return result;
}

/** Turn a `YYYY-MM-DD` date input into the UTC instant that starts (or ends) that day. */
export function dayBoundary(day: string, edge: "start" | "end"): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const date = new Date(`${day}T00:00:00.000Z`);
  if (Number.isNaN(date.getTime())) return undefined;
  if (edge === "end") date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString();
}

/** Parse an integer query-string value, falling back when it is absent or malformed. */
export function parseIntParam(value: string | null, fallback: number, min = 0): number {
  if (value === null) return fallback;
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) && parsed >= min ? parsed : fallback;
}
