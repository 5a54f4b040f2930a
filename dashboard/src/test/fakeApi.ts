// A fake gateway behind `fetch` for component tests: records requests, answers per path.
import { vi } from "vitest";

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
}

/** Replace `fetch` with a gateway answering `routes[path]` (404 otherwise); return its log. */
export function fakeApi(routes: Record<string, (query: Record<string, string>) => unknown>) {
  const requests: Recorded[] = [];
  vi.stubGlobal("fetch", (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const query = Object.fromEntries(url.searchParams.entries());
    requests.push({ method: request.method, path: url.pathname, query });
    const route = routes[url.pathname];
    if (!route) {
      return Promise.resolve(
        Response.json({ error: { code: "not_found", message: url.pathname } }, { status: 404 }),
      );
    }
    const answer = route(query);
    return Promise.resolve(answer instanceof Response ? answer : Response.json(answer));
  });
  return requests;
}
