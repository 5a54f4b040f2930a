// Formatting of what the dashboard shows: money, percentages, signed P&L, sentiment, dates.

/** A number as the API sends it: Decimal fields arrive as strings, floats as numbers. */
export type Numeric = number | string;

const DASH = "—";
const MINUS = "−";

/** Parse an API number; return null for missing, empty or non-finite values. */
export function toNumber(value: Numeric | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  // Number(" ") is 0: a blank string is a missing value, not zero dollars.
  if (typeof value === "string" && value.trim() === "") return null;
  const parsed = typeof value === "number" ? value : Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

function moneyFormat(currency: string, compact: boolean): Intl.NumberFormat {
  const key = `${currency}:${compact ? "c" : "f"}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat("en-US", {
      style: "currency",
      currency,
      ...(compact
        ? { notation: "compact", maximumFractionDigits: 1 }
        : { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
    });
    moneyFormats.set(key, format);
  }
  return format;
}

export interface MoneyOptions {
  currency?: string;
  compact?: boolean;
}

/** Format an amount of cash, e.g. `$1,234.50`; a dash when unknown. Negative amounts use a minus sign. */
export function formatMoney(value: Numeric | null | undefined, options: MoneyOptions = {}): string {
  const amount = toNumber(value);
  if (amount === null) return DASH;
  const text = moneyFormat(options.currency ?? "USD", options.compact ?? false).format(
    Math.abs(amount),
  );
  return amount < 0 && !isZeroAfterRounding(amount) ? `${MINUS}${text}` : text;
}

/** Format a profit or loss with its sign, e.g. `+$12.30` or `−$4.00`. */
export function formatSignedMoney(value: Numeric | null | undefined, options: MoneyOptions = {}): string {
  const amount = toNumber(value);
  if (amount === null) return DASH;
  const text = moneyFormat(options.currency ?? "USD", options.compact ?? false).format(
    Math.abs(amount),
  );
  if (isZeroAfterRounding(amount)) return text;
  return `${amount > 0 ? "+" : MINUS}${text}`;
}

function isZeroAfterRounding(amount: number): boolean {
  return Math.abs(amount) < 0.005;
}

export interface PercentOptions {
  digits?: number;
  signed?: boolean;
}

/** Format a fraction as a percentage: `0.1234` becomes `12.34%` (`+12.34%` when signed). */
export function formatPercent(
  fraction: Numeric | null | undefined,
  options: PercentOptions = {},
): string {
  const value = toNumber(fraction);
  if (value === null) return DASH;
  const digits = options.digits ?? 2;
  const percent = value * 100;
  const text = Math.abs(percent).toFixed(digits);
  if (Number(text) === 0) return `${(0).toFixed(digits)}%`;
  if (percent < 0) return `${MINUS}${text}%`;
  return `${options.signed ? "+" : ""}${text}%`;
}

/** Format a plain ratio such as a Sharpe ratio, e.g. `1.42`. */
export function formatRatio(value: Numeric | null | undefined, digits = 2): string {
  const number = toNumber(value);
  if (number === null) return DASH;
  const text = Math.abs(number).toFixed(digits);
  return number < 0 && Number(text) !== 0 ? `${MINUS}${text}` : text;
}

/** Format a quantity of shares: whole shares without decimals, fractions with up to four. */
export function formatQuantity(value: Numeric | null | undefined): string {
  const number = toNumber(value);
  if (number === null) return DASH;
  return new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 }).format(number);
}

export type Tone = "positive" | "negative" | "neutral";

/** Say whether a P&L figure should read as a gain, a loss or flat. */
export function pnlTone(value: Numeric | null | undefined): Tone {
  const number = toNumber(value);
  if (number === null || isZeroAfterRounding(number)) return "neutral";
  return number > 0 ? "positive" : "negative";
}

/** Sentiment scores at or beyond this magnitude read as clearly positive or negative. */
export const SENTIMENT_THRESHOLD = 0.15;

/** Classify a sentiment score in [-1, 1] for its colour: green, amber or red. */
export function sentimentTone(score: number | null | undefined): Tone {
  if (score === null || score === undefined || !Number.isFinite(score)) return "neutral";
  if (score >= SENTIMENT_THRESHOLD) return "positive";
  if (score <= -SENTIMENT_THRESHOLD) return "negative";
  return "neutral";
}

/** Format a sentiment score with its sign and two decimals, e.g. `+0.62`. */
export function formatScore(score: number | null | undefined): string {
  if (score === null || score === undefined || !Number.isFinite(score)) return DASH;
  const text = Math.abs(score).toFixed(2);
  if (Number(text) === 0) return "0.00";
  return `${score > 0 ? "+" : MINUS}${text}`;
}

/** Tailwind text colour for a tone. */
export function toneClass(tone: Tone): string {
  switch (tone) {
    case "positive":
      return "text-emerald-400";
    case "negative":
      return "text-rose-400";
    case "neutral":
      return "text-slate-300";
  }
}

export interface DateOptions {
  timeZone?: string;
}

function parseDate(value: string | Date | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Format a timestamp as date and time, e.g. `Mar 4, 2025, 14:30`; a dash when invalid. */
export function formatDateTime(
  value: string | Date | null | undefined,
  options: DateOptions = {},
): string {
  const date = parseDate(value);
  if (!date) return DASH;
  return new Intl.DateTimeFormat("en-US", {
    dateStyle: "medium",
    timeStyle: "short",
    hourCycle: "h23",
    timeZone: options.timeZone,
  }).format(date);
}

/** Format a timestamp as a date only, e.g. `Mar 4, 2025`. */
export function formatDate(value: string | Date | null | undefined, options: DateOptions = {}): string {
  const date = parseDate(value);
  if (!date) return DASH;
  return new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: options.timeZone }).format(
    date,
  );
}

/** Format a duration in seconds compactly: `45s`, `12m`, `3h 5m`, `2d 4h`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return DASH;
  }
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}h ${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days}d ${hours % 24}h` : `${days}d`;
}
