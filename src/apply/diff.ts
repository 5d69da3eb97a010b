/**
 * A small unified diff (LCS over lines) so `apply` can show what it is about to change. Inputs are
 * config files of a few hundred lines, so the quadratic table is fine; beyond the limit the diff
 * degrades to "replace everything" rather than using much memory.
 */
const MAX_CELLS = 4_000_000;

export function unifiedDiff(before: string, after: string, name: string, context = 3): string {
  if (before === after) return '';
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  const ops = a.length * b.length > MAX_CELLS ? [...a.map((l) => ['-', l] as const), ...b.map((l) => ['+', l] as const)] : lcsOps(a, b);

  const out = [`--- ${name} (on host)`, `+++ ${name} (rendered)`];
  // Hunks: each change with `context` unchanged lines around it, merged when they touch.
  const ranges: [number, number][] = [];
  ops.forEach((o, k) => {
    if (o[0] === ' ') return;
    const lo = Math.max(0, k - context);
    const hi = Math.min(ops.length, k + context + 1);
    const last = ranges.at(-1);
    if (last && lo <= last[1]) last[1] = Math.max(last[1], hi);
    else ranges.push([lo, hi]);
  });
  for (const [lo, hi] of ranges) {
    let aLine = 1;
    let bLine = 1;
    for (let k = 0; k < lo; k++) {
      if (ops[k]![0] !== '+') aLine++;
      if (ops[k]![0] !== '-') bLine++;
    }
    const hunk = ops.slice(lo, hi);
    const aCount = hunk.filter((o) => o[0] !== '+').length;
    const bCount = hunk.filter((o) => o[0] !== '-').length;
    out.push(`@@ -${aCount === 0 ? aLine - 1 : aLine},${aCount} +${bCount === 0 ? bLine - 1 : bLine},${bCount} @@`);
    for (const [op, line] of hunk) out.push(`${op}${line}`);
  }
  return `${out.join('\n')}\n`;
}

function lcsOps(a: string[], b: string[]): (readonly [' ' | '-' | '+', string])[] {
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const t = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      t[i * w + j] = a[i] === b[j] ? t[(i + 1) * w + j + 1]! + 1 : Math.max(t[(i + 1) * w + j]!, t[i * w + j + 1]!);
    }
  }
  const ops: (readonly [' ' | '-' | '+', string])[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { ops.push([' ', a[i]!]); i++; j++; }
    else if (t[(i + 1) * w + j]! >= t[i * w + j + 1]!) { ops.push(['-', a[i]!]); i++; }
    else { ops.push(['+', b[j]!]); j++; }
  }
  while (i < n) ops.push(['-', a[i++]!]);
  while (j < m) ops.push(['+', b[j++]!]);
  return ops;
}
