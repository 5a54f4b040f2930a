import { describe, expect, it } from "vitest";

import { compactQuery, dayBoundary, parseIntParam } from "./query";

describe("query helpers", () => {
  it("test_compact_query_when_values_are_empty_leaves_them_out", () => {
    expect(
      compactQuery({ a: "", b: "  x ", c: undefined, d: null, e: 0, f: false, g: Number.NaN }),
    ).toEqual({ b: "x", e: 0, f: false });
  });

  it("test_day_boundary_when_valid_day_returns_utc_start_and_exclusive_end", () => {
    expect(dayBoundary("2025-03-04", "start")).toBe("2025-03-04T00:00:00.000Z");
    expect(dayBoundary("2025-03-04", "end")).toBe("2025-03-05T00:00:00.000Z");
    expect(dayBoundary("2024-12-31", "end")).toBe("2025-01-01T00:00:00.000Z");
  });

  it.each(["", "2025-13-01", "04/03/2025", "yesterday"])(
    "test_day_boundary_when_malformed_%j_returns_undefined",
    (day) => {
      expect(dayBoundary(day, "start")).toBeUndefined();
    },
  );

  it("test_parse_int_param_when_malformed_falls_back", () => {
    expect(parseIntParam("3", 0)).toBe(3);
    expect(parseIntParam("-1", 0)).toBe(0);
    expect(parseIntParam("x", 5)).toBe(5);
    expect(parseIntParam(null, 1)).toBe(1);
  });
});
