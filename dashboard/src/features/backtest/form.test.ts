import { describe, expect, it } from "vitest";

import { defaultForm, toBacktestConfig, type BacktestForm } from "./form";

const TODAY = new Date("2025-03-04T12:00:00Z");

function form(patch: Partial<BacktestForm> = {}): BacktestForm {
  return {
    ...defaultForm(TODAY, [
      { name: "momentum", weight: 0.4 },
      { name: "news_driven", weight: 0.6 },
    ]),
    ...patch,
  };
}

describe("backtest form", () => {
  it("test_default_form_when_opened_covers_the_last_90_days", () => {
    expect(form()).toMatchObject({ start: "2024-12-04", end: "2025-03-04", capital: "100000" });
  });

  it("test_backtest_config_when_form_is_valid_sends_the_run_config", () => {
    const result = toBacktestConfig(
      form({ parameters: '{"momentum": {"fast": 10}}', learning: true, slippageBps: "2.5" }),
    );

    expect(result).toEqual({
      ok: true,
      config: {
        start: "2024-12-04T00:00:00.000Z",
        end: "2025-03-05T00:00:00.000Z",
        initial_capital: "100000",
        strategies: { momentum: 0.4, news_driven: 0.6 },
        tickers: [],
        parameters: { momentum: { fast: 10 } },
        fill: "next_open",
        slippage_bps: 2.5,
        commission_bps: 0,
        commission_per_share: "0.005",
        learning: true,
      },
    });
  });

  it("test_backtest_config_when_a_strategy_is_unticked_leaves_it_out", () => {
    const base = form();
    const result = toBacktestConfig({
      ...base,
      strategies: base.strategies.map((s) => (s.name === "momentum" ? { ...s, enabled: false } : s)),
    });

    expect(result.ok && result.config.strategies).toEqual({ news_driven: 0.6 });
  });

  it("test_backtest_config_when_fields_are_wrong_names_each_problem", () => {
    const result = toBacktestConfig(
      form({
        start: "2025-03-04",
        end: "2025-03-01",
        capital: "-5",
        parameters: "{momentum: 1}",
        slippageBps: "lots",
        commission: "",
        strategies: [{ name: "momentum", enabled: false, weight: 0.5 }],
      }),
    );

    expect(result).toEqual({
      ok: false,
      errors: {
        end: "The end must come after the start.",
        capital: "Starting capital must be a positive amount.",
        strategies: "Choose at least one strategy.",
        parameters: 'Parameters must be JSON, e.g. {"momentum": {"fast": 10, "slow": 30}}.',
        slippageBps: "Slippage must be zero or more basis points.",
        commission: "Commission must be zero or more dollars per share.",
      },
    });
  });

  it.each([
    ["[1, 2]", "Parameters must be an object keyed by strategy name."],
    ['{"momentum": 3}', "Parameters of momentum must be an object of numbers."],
    ['{"momentum": {"fast": "ten"}}', "Parameter momentum.fast must be a number."],
  ])("test_backtest_config_when_parameters_are_%s_explains", (parameters, message) => {
    const result = toBacktestConfig(form({ parameters }));

    expect(result.ok ? null : result.errors.parameters).toBe(message);
  });

  it("test_backtest_config_when_no_strategy_is_stored_leaves_the_choice_to_the_server", () => {
    const result = toBacktestConfig(form({ strategies: [] }));

    expect(result.ok && "strategies" in result.config).toBe(false);
  });

  it("test_backtest_config_when_every_weight_is_zero_refuses", () => {
    const base = form();
    const result = toBacktestConfig({ ...base, strategies: base.strategies.map((s) => ({ ...s, weight: 0 })) });

    expect(result.ok ? null : result.errors.strategies).toBe("Give at least one strategy a weight.");
  });
});
