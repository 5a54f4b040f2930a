// Turning openapi-fetch's {data, error} results into values or thrown ApiErrors for TanStack Query.
import { ApiError, toApiError } from "./errors";

interface FetchResult<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/** Await an API call and return its data; throw an ApiError naming the problem otherwise. */
export async function unwrap<D>(call: Promise<FetchResult<D>>): Promise<D> {
  let result: FetchResult<D>;
  try {
    result = await call;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, "The server could not be reached. Check that the bot is running.");
  }
  const { data, error, response } = result;
  if (error !== undefined || !response.ok) throw toApiError(response.status, error);
  return data as D;
}
