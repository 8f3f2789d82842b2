/** One line of the bench's table: a figure of ecom beside its limit, both measured in the same run. */
export interface Figure {
  readonly name: string;
  /** ecom's figure and the limit's, in `unit`. */
  readonly value: number;
  readonly limit: number;
  readonly unit: string;
  /** What the limit is. */
  readonly limitName: string;
  /** Whether more is better (rates) or less (times, bytes): the ratio is then limit / value. */
  readonly higherIsBetter: boolean;
  /** The issue's target, as text, and whether this run meets it. */
  readonly target: string;
  readonly met: boolean;
  /** CPU per operation of ecom and of the limit, when measured. */
  readonly cpu?: { readonly ecom: string; readonly limit: string };
  /** Why this run could not measure the figure (a limit that could not be installed, say); its numbers are void. */
  readonly notMeasured?: string;
  /** What to know to read the row (why the limit is what it is), printed under the table; rows may share one. */
  readonly note?: string;
}

/** The figure as a share of its limit: value / limit for rates, limit / value otherwise ("×N" when above 1). */
export function ratioOf(figure: Pick<Figure, "value" | "limit" | "higherIsBetter">): number {
  return figure.higherIsBetter ? figure.value / figure.limit : figure.limit / figure.value;
}

function formatNumber(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString("en-US");
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatRatio(ratio: number, higherIsBetter: boolean): string {
  // A rate past its limit (ecom beside Prism) reads as a multiple, as the issue's "≥ 3×" does.
  if (higherIsBetter) return ratio > 1 ? `×${ratio.toFixed(1)}` : `${(ratio * 100).toFixed(1)} %`;
  return `×${(1 / ratio).toFixed(1)}`;
}

/** The table as Markdown, as the README's Performance section shows it, then the rows' notes, each once. */
export function formatTable(figures: readonly Figure[]): string {
  const notes = [...new Set(figures.flatMap((figure) => (figure.note === undefined ? [] : [figure.note])))];
  const marked = figures.map((figure) =>
    figure.note === undefined ? figure : { ...figure, name: `${figure.name} (note ${notes.indexOf(figure.note) + 1})` },
  );
  const table = formatRows(marked);
  return notes.length === 0
    ? table
    : [table, "", ...notes.map((note, index) => `Note ${index + 1}: ${note}`)].join("\n");
}

function formatRows(figures: readonly Figure[]): string {
  const header = [
    "| figure | ecom | limit in the same run | ratio | target | met | CPU per op (ecom / limit) |",
    "|---|---|---|---|---|---|---|",
  ];
  const cells = (figure: Figure) =>
    figure.notMeasured
      ? [
          figure.name,
          "—",
          `${figure.limitName}: not measured (${figure.notMeasured.replaceAll("|", "\\|")})`,
          "—",
          figure.target,
          "—",
          "",
        ]
      : [
          figure.name,
          `${formatNumber(figure.value)} ${figure.unit}`,
          `${figure.limitName} ${formatNumber(figure.limit)} ${figure.unit}`,
          formatRatio(ratioOf(figure), figure.higherIsBetter),
          figure.target,
          figure.met ? "yes" : "no",
          figure.cpu ? `${figure.cpu.ecom} / ${figure.cpu.limit}` : "",
        ];
  const rows = figures.map(
    (figure) =>
      `|${cells(figure)
        .map((cell) => ` ${cell} `)
        .join("|")}|`,
  );
  return [...header, ...rows].join("\n");
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Microseconds as "123 µs" or "4.56 ms". */
export function formatMicros(micros: number): string {
  return micros >= 1000 ? `${(micros / 1000).toFixed(2)} ms` : `${Math.round(micros)} µs`;
}
