// The strategies' charts (recharts): the weight allocation donut and the weight history lines.
import {
  Legend,
  Line,
  LineChart,
  Pie,
  PieChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

import { formatDate, formatPercent } from "@/lib/format";

import type { HistoryRow } from "./history";

export const PALETTE = ["#38bdf8", "#34d399", "#fbbf24", "#f472b6", "#a78bfa", "#fb923c", "#94a3b8"];

export interface Allocation {
  name: string;
  weight: number;
}

interface Props {
  allocation: readonly Allocation[];
  history: readonly HistoryRow[];
  names: readonly string[];
}

const percent = (value: unknown) => formatPercent(typeof value === "number" ? value : null, { digits: 1 });

export default function StrategyCharts({ allocation, history, names }: Props) {
  return (
    <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
      <figure aria-label="Weight allocation" className="h-64">
        <ResponsiveContainer width="100%" height="100%">
          <PieChart>
            <Pie
              data={allocation.map((a, index) => ({ ...a, fill: PALETTE[index % PALETTE.length] }))}
              dataKey="weight"
              nameKey="name"
              innerRadius="55%"
              outerRadius="85%"
              paddingAngle={2}
              isAnimationActive={false}
            />
            <Tooltip formatter={percent} />
            <Legend />
          </PieChart>
        </ResponsiveContainer>
        <figcaption className="sr-only">
          {allocation.map((a) => `${a.name} ${formatPercent(a.weight, { digits: 1 })}`).join(", ")}
        </figcaption>
      </figure>
      <figure aria-label="Weight history" className="h-64">
        {history.length === 0 ? (
          <p className="p-6 text-sm text-slate-400">No weight changes recorded yet.</p>
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={history.map((row) => ({ ...row }))}>
              <XAxis
                dataKey="time"
                type="number"
                domain={["dataMin", "dataMax"]}
                tickFormatter={(time: number) => formatDate(new Date(time))}
                stroke="#64748b"
                fontSize={11}
              />
              <YAxis tickFormatter={(value: number) => formatPercent(value, { digits: 0 })} stroke="#64748b" fontSize={11} />
              <Tooltip labelFormatter={(time) => formatDate(new Date(Number(time)))} formatter={percent} />
              <Legend />
              {names.map((name, index) => (
                <Line
                  key={name}
                  dataKey={name}
                  stroke={PALETTE[index % PALETTE.length]}
                  dot={false}
                  connectNulls
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        )}
      </figure>
    </div>
  );
}
