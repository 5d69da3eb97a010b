/**
 * `sshd -T` prints the effective configuration, one `keyword value` per line with lower-case
 * keywords; list keywords (port, allowusers, hostkey, …) repeat. Text in, so it works on local
 * output and on output fetched over SSH alike.
 */
export type SshdConfig = ReadonlyMap<string, readonly string[]>;

export function parseSshdT(text: string): SshdConfig {
  const out = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const sp = line.indexOf(' ');
    const key = (sp < 0 ? line : line.slice(0, sp)).toLowerCase();
    const value = sp < 0 ? '' : line.slice(sp + 1).trim();
    const list = out.get(key) ?? [];
    list.push(value);
    out.set(key, list);
  }
  return out;
}

/** The first value of a keyword, lower-cased (sshd -T already prints yes/no in lower case). */
export function sshdValue(c: SshdConfig, key: string): string | undefined {
  return c.get(key)?.[0]?.toLowerCase();
}

/** All values of a list keyword, split on spaces and commas (AllowUsers a b, Ciphers x,y). */
export function sshdList(c: SshdConfig, key: string): string[] {
  return (c.get(key) ?? []).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v.length > 0);
}
