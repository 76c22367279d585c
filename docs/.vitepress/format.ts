// Number formatting shared by the build-time values (lib-values.ts) and the chart components.

/** 1234.5 → "1,234.5"; negatives get a real minus sign. */
export function fmt(x: number, digits = 0): string {
  const s = Math.abs(x).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return (x < 0 && Number(s.replace(/,/g, "")) !== 0 ? "−" : "") + s;
}

/** Signed percentage for prose: "−5.06 %" or "+0.12 %". */
export function pct(x: number, digits = 2): string {
  const s = fmt(x, digits);
  // A no-break space: the number and its % stay on one line.
  return x > 0 && Number(s.replace(/,/g, "")) !== 0 ? `+${s}\u00a0%` : `${s}\u00a0%`;
}
