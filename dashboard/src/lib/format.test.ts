import { describe, expect, it } from "vitest";

import {
  formatDate,
  formatDateTime,
  formatDuration,
  formatMoney,
  formatPercent,
  formatQuantity,
  formatRatio,
  formatScore,
  formatSignedMoney,
  pnlTone,
  sentimentTone,
  toNumber,
} from "./format";

describe("money", () => {
  it.each([
    ["1234.5", "$1,234.50"],
    [1234.5, "$1,234.50"],
    ["-42.1", "−$42.10"],
    ["0", "$0.00"],
    ["-0.001", "$0.00"],
    ["100000.00", "$100,000.00"],
  ])("test_format_money_when_given_%j_shows_%s", (value, expected) => {
    expect(formatMoney(value)).toBe(expected);
  });

  it("test_format_money_when_compact_abbreviates_large_amounts", () => {
    expect(formatMoney("1520000", { compact: true })).toBe("$1.5M");
  });

  it.each([null, undefined, "", "abc", "NaN", Number.POSITIVE_INFINITY])(
    "test_format_money_when_value_is_malformed_%j_shows_a_dash",
    (value) => {
      expect(formatMoney(value)).toBe("—");
    },
  );

  it.each([
    ["12.3", "+$12.30"],
    ["-4", "−$4.00"],
    ["0", "$0.00"],
    [null, "—"],
  ])("test_format_signed_money_when_given_%j_shows_%s", (value, expected) => {
    expect(formatSignedMoney(value)).toBe(expected);
  });
});

describe("percentages and ratios", () => {
  it.each([
    [0.1234, {}, "12.34%"],
    [0.1234, { signed: true }, "+12.34%"],
    [-0.0567, {}, "−5.67%"],
    [-0.00001, { signed: true }, "0.00%"],
    [0.5, { digits: 0 }, "50%"],
    ["0.25", {}, "25.00%"],
    [null, {}, "—"],
  ] as const)("test_format_percent_when_fraction_is_%j_with_%j_shows_%s", (value, options, expected) => {
    expect(formatPercent(value, options)).toBe(expected);
  });

  it("test_format_ratio_when_negative_uses_a_minus_sign", () => {
    expect(formatRatio(-1.234)).toBe("−1.23");
    expect(formatRatio(1.5)).toBe("1.50");
    expect(formatRatio(null)).toBe("—");
  });

  it("test_format_quantity_when_fractional_keeps_four_decimals", () => {
    expect(formatQuantity("10")).toBe("10");
    expect(formatQuantity("0.123456")).toBe("0.1235");
    expect(formatQuantity("1500")).toBe("1,500");
  });
});

describe("tones", () => {
  it.each([
    ["5", "positive"],
    ["-0.01", "negative"],
    ["0.001", "neutral"],
    [null, "neutral"],
  ] as const)("test_pnl_tone_when_value_is_%j_is_%s", (value, tone) => {
    expect(pnlTone(value)).toBe(tone);
  });

  it.each([
    [0.62, "positive", "+0.62"],
    [0.15, "positive", "+0.15"],
    [0.1, "neutral", "+0.10"],
    [0, "neutral", "0.00"],
    [-0.149, "neutral", "−0.15"],
    [-0.8, "negative", "−0.80"],
    [Number.NaN, "neutral", "—"],
  ] as const)("test_sentiment_when_score_is_%s_is_%s_and_reads_%s", (score, tone, text) => {
    expect(sentimentTone(score)).toBe(tone);
    expect(formatScore(score)).toBe(text);
  });
});

describe("dates and durations", () => {
  it("test_format_date_time_when_utc_shows_date_and_24h_time", () => {
    expect(formatDateTime("2025-03-04T14:30:00Z", { timeZone: "UTC" })).toBe("Mar 4, 2025, 14:30");
    expect(formatDate("2025-03-04T23:30:00Z", { timeZone: "UTC" })).toBe("Mar 4, 2025");
  });

  it("test_format_date_time_when_in_new_york_shifts_to_local_time", () => {
    expect(formatDateTime("2025-03-04T14:30:00Z", { timeZone: "America/New_York" })).toBe(
      "Mar 4, 2025, 09:30",
    );
  });

  it.each([null, undefined, "", "not a date"])("test_format_date_time_when_malformed_%j_shows_a_dash", (value) => {
    expect(formatDateTime(value)).toBe("—");
  });

  it.each([
    [45, "45s"],
    [720, "12m"],
    [3 * 3600 + 300, "3h 5m"],
    [7200, "2h"],
    [2 * 86400 + 4 * 3600, "2d 4h"],
    [-1, "—"],
    [null, "—"],
  ])("test_format_duration_when_%s_seconds_shows_%s", (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });

  it("test_to_number_when_api_sends_decimal_strings_parses_them", () => {
    expect(toNumber("190.125")).toBe(190.125);
    expect(toNumber("1e3")).toBe(1000);
    expect(toNumber(" ")).toBeNull();
  });
});
