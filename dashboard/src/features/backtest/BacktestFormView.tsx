// The backtest form: dates, capital, strategies with weight sliders, parameters, costs, learning.
import { useState, type FormEvent } from "react";

import { errorMessage } from "@/api";
import type { BacktestConfig } from "@/api/types";
import { formatPercent } from "@/lib/format";

import { toBacktestConfig, type BacktestForm, type FormErrors } from "./form";

interface Props {
  initial: BacktestForm;
  busy: boolean;
  error: unknown;
  onSubmit: (config: BacktestConfig) => void;
}

function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <p id={id} role="alert" className="mt-1 text-xs text-rose-300">
      {message}
    </p>
  ) : null;
}

export function BacktestFormView({ initial, busy, error, onSubmit }: Props) {
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState<FormErrors>({});
  const set = (patch: Partial<BacktestForm>) => {
    setForm((current) => ({ ...current, ...patch }));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const result = toBacktestConfig(form);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    onSubmit(result.config);
  };

  const field = (id: keyof BacktestForm) => ({
    "aria-invalid": errors[id] ? true : undefined,
    "aria-describedby": errors[id] ? `bt-${id}-error` : undefined,
  });

  return (
    <form onSubmit={submit} noValidate aria-label="Backtest settings" className="grid grid-cols-1 gap-4">
      <div className="grid grid-cols-2 gap-3">
        <div>
          <label htmlFor="bt-start" className="field-label">Start</label>
          <input id="bt-start" type="date" className="input" value={form.start} {...field("start")}
            onChange={(e) => { set({ start: e.target.value }); }} />
          <FieldError id="bt-start-error" message={errors.start} />
        </div>
        <div>
          <label htmlFor="bt-end" className="field-label">End</label>
          <input id="bt-end" type="date" className="input" value={form.end} {...field("end")}
            onChange={(e) => { set({ end: e.target.value }); }} />
          <FieldError id="bt-end-error" message={errors.end} />
        </div>
      </div>
      <div>
        <label htmlFor="bt-capital" className="field-label">Starting capital ($)</label>
        <input id="bt-capital" inputMode="decimal" className="input" value={form.capital} {...field("capital")}
          onChange={(e) => { set({ capital: e.target.value }); }} />
        <FieldError id="bt-capital-error" message={errors.capital} />
      </div>
      <fieldset {...field("strategies")}>
        <legend className="field-label">Strategies and weights</legend>
        {form.strategies.length === 0 ? (
          <p className="text-sm text-slate-400">
            No strategies are stored yet: the run uses the server&apos;s default strategies and weights.
          </p>
        ) : (
          <ul className="grid gap-2">
            {form.strategies.map((strategy, index) => {
              const update = (patch: Partial<typeof strategy>) => {
                set({ strategies: form.strategies.map((s, i) => (i === index ? { ...s, ...patch } : s)) });
              };
              return (
                <li key={strategy.name} className="grid grid-cols-[auto_1fr_auto] items-center gap-3">
                  <input
                    id={`bt-use-${strategy.name}`}
                    type="checkbox"
                    className="h-4 w-4 accent-sky-500"
                    checked={strategy.enabled}
                    onChange={(e) => { update({ enabled: e.target.checked }); }}
                  />
                  <label htmlFor={`bt-use-${strategy.name}`} className="text-sm">{strategy.name}</label>
                  <span className="w-14 text-right text-sm tabular-nums text-slate-300">
                    {formatPercent(strategy.weight, { digits: 0 })}
                  </span>
                  <input
                    type="range"
                    min={0}
                    max={1}
                    step={0.05}
                    aria-label={`Weight of ${strategy.name}`}
                    className="col-span-3 accent-sky-500"
                    disabled={!strategy.enabled}
                    value={strategy.weight}
                    onChange={(e) => { update({ weight: Number(e.target.value) }); }}
                  />
                </li>
              );
            })}
          </ul>
        )}
        <FieldError id="bt-strategies-error" message={errors.strategies} />
      </fieldset>
      <div>
        <label htmlFor="bt-parameters" className="field-label">Strategy parameters (JSON)</label>
        <textarea id="bt-parameters" rows={3} className="input font-mono" spellCheck={false}
          value={form.parameters} {...field("parameters")}
          onChange={(e) => { set({ parameters: e.target.value }); }} />
        <FieldError id="bt-parameters-error" message={errors.parameters} />
      </div>
      <div className="grid grid-cols-2 gap-3">
        <div>
          <label htmlFor="bt-slippage" className="field-label">Slippage (bps)</label>
          <input id="bt-slippage" inputMode="decimal" className="input" value={form.slippageBps} {...field("slippageBps")}
            onChange={(e) => { set({ slippageBps: e.target.value }); }} />
          <FieldError id="bt-slippageBps-error" message={errors.slippageBps} />
        </div>
        <div>
          <label htmlFor="bt-commission" className="field-label">Commission ($/share)</label>
          <input id="bt-commission" inputMode="decimal" className="input" value={form.commission} {...field("commission")}
            onChange={(e) => { set({ commission: e.target.value }); }} />
          <FieldError id="bt-commission-error" message={errors.commission} />
        </div>
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" className="h-4 w-4 accent-sky-500" checked={form.learning}
          onChange={(e) => { set({ learning: e.target.checked }); }} />
        Let the learning engine adjust weights during the run
      </label>
      {error ? <p role="alert" className="text-sm text-rose-300">{errorMessage(error)}</p> : null}
      <button type="submit" className="btn-primary" disabled={busy}>
        {busy ? "Starting…" : "Run backtest"}
      </button>
    </form>
  );
}
