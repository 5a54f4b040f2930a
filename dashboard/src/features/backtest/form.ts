// The backtest form's state, its checks, and the config it sends.
import type { BacktestConfig } from "@/api/types";
import { dayBoundary } from "@/lib/query";

export interface StrategyChoice {
  name: string;
  enabled: boolean;
  weight: number;
}

export interface BacktestForm {
  start: string;
  end: string;
  capital: string;
  strategies: StrategyChoice[];
  parameters: string;
  slippageBps: string;
  commission: string;
  learning: boolean;
}

export type FormErrors = Partial<Record<keyof BacktestForm, string>>;

export type FormResult = { ok: true; config: BacktestConfig } | { ok: false; errors: FormErrors };

/** A form filled with sensible defaults: the last 90 days up to `today`, $100,000. */
export function defaultForm(today: Date, strategies: readonly { name: string; weight: number }[]): BacktestForm {
  const end = today.toISOString().slice(0, 10);
  const startDate = new Date(today);
  startDate.setUTCDate(startDate.getUTCDate() - 90);
  return {
    start: startDate.toISOString().slice(0, 10),
    end,
    capital: "100000",
    strategies: strategies.map((s) => ({ name: s.name, enabled: true, weight: s.weight })),
    parameters: "{}",
    slippageBps: "5",
    commission: "0.005",
    learning: false,
  };
}

function parseParameters(text: string): Record<string, Record<string, number>> | string {
  let value: unknown;
  try {
    value = JSON.parse(text.trim() || "{}");
  } catch {
    return 'Parameters must be JSON, e.g. {"momentum": {"fast": 10, "slow": 30}}.';
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "Parameters must be an object keyed by strategy name.";
  }
  const result: Record<string, Record<string, number>> = {};
  for (const [strategy, params] of Object.entries(value)) {
    if (typeof params !== "object" || params === null || Array.isArray(params)) {
      return `Parameters of ${strategy} must be an object of numbers.`;
    }
    const numbers: Record<string, number> = {};
    for (const [key, number] of Object.entries(params as Record<string, unknown>)) {
      if (typeof number !== "number" || !Number.isFinite(number)) {
        return `Parameter ${strategy}.${key} must be a number.`;
      }
      numbers[key] = number;
    }
    result[strategy] = numbers;
  }
  return result;
}

function nonNegative(text: string): number | null {
  const value = Number(text);
  return text.trim() !== "" && Number.isFinite(value) && value >= 0 ? value : null;
}

/** Check the form; return the config to send, or a message per field that is wrong. */
export function toBacktestConfig(form: BacktestForm): FormResult {
  const errors: FormErrors = {};
  const start = dayBoundary(form.start, "start");
  const end = dayBoundary(form.end, "end");
  if (!start) errors.start = "Pick a start date.";
  if (!end) errors.end = "Pick an end date.";
  if (start && end && Date.parse(start) >= Date.parse(end)) errors.end = "The end must come after the start.";
  const capital = Number(form.capital);
  if (!(form.capital.trim() !== "" && Number.isFinite(capital) && capital > 0)) {
    errors.capital = "Starting capital must be a positive amount.";
  }
  const chosen = form.strategies.filter((s) => s.enabled);
  // With no strategy on offer the server's default strategies and weights apply.
  const serverDefaults = form.strategies.length === 0;
  if (!serverDefaults && chosen.length === 0) errors.strategies = "Choose at least one strategy.";
  else if (!serverDefaults && chosen.every((s) => s.weight <= 0)) {
    errors.strategies = "Give at least one strategy a weight.";
  }
  const parameters = parseParameters(form.parameters);
  if (typeof parameters === "string") errors.parameters = parameters;
  const slippage = nonNegative(form.slippageBps);
  if (slippage === null) errors.slippageBps = "Slippage must be zero or more basis points.";
  const commission = nonNegative(form.commission);
  if (commission === null) errors.commission = "Commission must be zero or more dollars per share.";

  if (Object.keys(errors).length > 0 || !start || !end || typeof parameters === "string") {
    return { ok: false, errors };
  }
  return {
    ok: true,
    config: {
      start,
      end,
      initial_capital: form.capital.trim(),
      ...(serverDefaults ? {} : { strategies: Object.fromEntries(chosen.map((s) => [s.name, s.weight])) }),
      tickers: [],
      parameters,
      fill: "next_open",
      slippage_bps: slippage ?? 0,
      commission_bps: 0,
      commission_per_share: form.commission.trim(),
      learning: form.learning,
    },
  };
}
