const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parse a duration: a number of milliseconds, or text like `15m`, `90s`, `2h`, `7d`, `1h30m`. */
export function parseDuration(value: unknown): number | undefined {
  const result = parseAnyDuration(value);
  // A century is far beyond any expiry worth testing, and keeps the clock a valid date.
  return result !== undefined && result <= MAX_ADVANCE_MS ? result : undefined;
}

const MAX_ADVANCE_MS = 100 * 365 * 86_400_000;

function parseAnyDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string" || !/^(\d+(ms|s|m|h|d))+$/.test(value)) return undefined;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(amount) * UNITS[unit!]!;
  return total;
}
