/* eslint-disable @typescript-eslint/no-explicit-any -- YAML fixtures as plain data: the schema under test is the type check */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../helpers/cli.js';
import { TopologySchema, type Topology } from '../../src/topology/schema.js';

export const EXAMPLE = join(ROOT, 'examples', 'topology.yaml');

/** The example topology as plain data (a fresh copy each call), for tests that break one thing. */
export function exampleInput(): Record<string, any> {
  return parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, any>;
}

export function exampleWith(change: (t: Record<string, any>) => void): Topology {
  const raw = exampleInput();
  change(raw);
  return TopologySchema.parse(raw);
}

export function hostIn(raw: Record<string, any>, name: string): Record<string, any> {
  const h = (raw.hosts as Record<string, any>[]).find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  return h;
}
