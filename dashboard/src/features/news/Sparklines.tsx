// A small sentiment line per ticker (recharts), loaded on demand.
import { Line, LineChart, ReferenceLine, ResponsiveContainer, YAxis } from "recharts";

import { formatScore, sentimentTone, toneClass } from "@/lib/format";

import type { TickerSeries } from "./sparklines";

const STROKE = { positive: "#34d399", neutral: "#fbbf24", negative: "#fb7185" } as const;

export default function Sparklines({ series }: { series: readonly TickerSeries[] }) {
  return (
    <ul className="grid grid-cols-2 gap-3 sm:grid-cols-4" aria-label="Sentiment by ticker">
      {series.map((s) => {
        const tone = sentimentTone(s.average);
        return (
          <li key={s.ticker} className="rounded-lg border border-slate-800 p-2">
            <div className="flex items-baseline justify-between text-sm">
              <span className="font-semibold">{s.ticker}</span>
              <span className={toneClass(tone)} aria-label={`average sentiment ${formatScore(s.average)}`}>
                {formatScore(s.average)}
              </span>
            </div>
            <div className="h-10" aria-hidden="true">
              <ResponsiveContainer width="100%" height="100%">
                <LineChart data={s.points.map((p) => ({ ...p }))}>
                  <YAxis hide domain={[-1, 1]} />
                  <ReferenceLine y={0} stroke="#334155" />
                  <Line dataKey="score" stroke={STROKE[tone]} dot={false} strokeWidth={2} isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </div>
          </li>
        );
      })}
    </ul>
  );
}
