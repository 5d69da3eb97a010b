import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../errors.js';
import { TopologySchema, type Topology } from './schema.js';

/**
 * Parses a topology from YAML (JSON is YAML too). Every error names the file, the line and the field
 * path (`hosts.2.ssh.port`), so an operator can fix the file without guessing.
 */
export function parseTopology(text: string, file = '<topology>'): Topology {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = yamlError.linePos?.[0]?.line ?? lineCounter.linePos(yamlError.pos[0]).line;
    throw new InputError('E_TOPOLOGY_SYNTAX', `${yamlError.message.split('\n')[0] ?? 'YAML error'} (at ${file}:${line})`, { field: 'topology' });
  }
  const parsed = TopologySchema.safeParse(doc.toJS());
  if (parsed.success) return parsed.data;
  throw issueError(parsed.error.issues, doc, lineCounter, file);
}

/** Reads and parses a topology file. */
export function loadTopology(path: string): Topology {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError('E_NO_FILE', `cannot read topology ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field: 'topology', cause: e, exitCode: 2 });
  }
  return parseTopology(text, path);
}

type Doc = ReturnType<typeof parseDocument>;

function issueError(issues: z.core.$ZodIssue[], doc: Doc, lc: LineCounter, file: string): InputError {
  const described = issues.slice(0, 10).map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? p.toString() : p));
    return { field: path.length > 0 ? path.join('.') : 'topology', where: `${file}:${lineOf(doc, lc, path)}`, message: issue.message };
  });
  const [first, ...rest] = described;
  if (!first) return new InputError('E_TOPOLOGY_INVALID', `invalid topology in ${file}`, { field: 'topology' });
  return new InputError('E_TOPOLOGY_INVALID', `${first.message} (at ${first.where})`, {
    field: first.field,
    ...(rest.length > 0 ? { details: rest.map((d) => `${d.field}: ${d.message} (at ${d.where})`).join('\n') } : {}),
  });
}

/** Line of the deepest node that exists on the path (a missing key points at its parent). */
function lineOf(doc: Doc, lc: LineCounter, path: (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return 1;
}
