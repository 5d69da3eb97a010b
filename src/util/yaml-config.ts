import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { InputError, type ErrorCode } from '../errors.js';

/**
 * The one way anoguard reads a YAML config file (agent, gateway, alerts, fence-check): every error
 * names the file and line, schema errors also the field path, so an operator fixes the file
 * without guessing.
 */
export interface YamlErrorOptions {
  /** Code of syntax and schema errors, e.g. `E_AGENT_CONFIG`. */
  code: ErrorCode;
  /** Default 2: a bad config file is a usage error. */
  exitCode?: 1 | 2;
}

/** A parsed YAML file that can tell on which line a value sits. */
export interface YamlFile {
  file: string;
  /** The document as plain data; an empty file is `{}`. */
  value: unknown;
  /** Line of the deepest node that exists on `path` (a missing key points at its parent). */
  lineOf(path: readonly PropertyKey[]): number;
}

/** Reads the file; a missing or unreadable one names `field` (the flag or key that gave the path). */
export function readYamlText(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError('E_NO_FILE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field, cause: e, exitCode: 2 });
  }
}

/** Parses YAML text; a syntax error becomes `YAML: …` with the field `file:line`. */
export function parseYaml(text: string, file: string, o: YamlErrorOptions): YamlFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    throw new InputError(o.code, `YAML: ${err.message.split('\n')[0] ?? 'syntax error'}`, { field: `${file}:${lc.linePos(err.pos[0]).line}`, exitCode: o.exitCode ?? 2 });
  }
  const lineOf = (path: readonly PropertyKey[]): number => {
    const keys = path.filter((p): p is string | number => typeof p !== 'symbol');
    for (let n = keys.length; n >= 0; n--) {
      const node: unknown = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
      if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
    }
    return 1;
  };
  return { file, value: doc.toJS() ?? {}, lineOf };
}

/**
 * Validates the document (or the part of it at `at`, e.g. `['control']`) with a zod schema; the
 * first problem becomes one error with the field `file:line: dotted.path` and the schema's message.
 */
export function validateYaml<S extends z.ZodType>(y: YamlFile, schema: S, o: YamlErrorOptions & { at?: readonly (string | number)[] }): z.output<S> {
  const at = o.at ?? [];
  let value: unknown = y.value;
  for (const k of at) value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[k] : undefined;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = [...at, ...issue.path];
  const dotted = path.map(String).join('.') || '(root)';
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : '';
  throw new InputError(o.code, `${issue.message}${more}`, { field: `${y.file}:${y.lineOf(path)}: ${dotted}`, exitCode: o.exitCode ?? 2 });
}

/** Reads, parses and validates a YAML config file: `readYamlText` → `parseYaml` → `validateYaml`. */
export function loadYamlConfig<S extends z.ZodType>(path: string, schema: S, o: YamlErrorOptions & { fileField: string }): z.output<S> {
  return validateYaml(parseYaml(readYamlText(path, o.fileField), path, o), schema, o);
}
