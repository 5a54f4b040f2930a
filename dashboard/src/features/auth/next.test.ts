import { describe, expect, it } from "vitest";

import { safeNext } from "./next";

describe("safeNext", () => {
  it.each([
    ["/trades?ticker=AAPL", "/trades?ticker=AAPL"],
    [null, "/portfolio"],
    ["https://evil.example", "/portfolio"],
    ["//evil.example/x", "/portfolio"],
    ["/\\evil.example", "/portfolio"],
    ["/signin", "/portfolio"],
    ["/signup?token=x", "/portfolio"],
  ])("test_safe_next_when_given_%j_goes_to_%s", (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });
});
