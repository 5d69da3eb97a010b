import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { isAnoguardError } from '../../src/errors.js';
import { loadYamlConfig, parseYaml, validateYaml } from '../../src/util/yaml-config.js';

const Schema = z.object({
  name: z.string(),
  listen: z.object({ host: z.string(), port: z.number().int().max(65535) }).strict(),
  control: z.object({ every: z.number().positive() }).optional(),
}).strict();

function errorOf(fn: () => unknown): { code: string; field: string | undefined; message: string; exitCode: number } {
  try { fn(); } catch (e) {
    if (isAnoguardError(e)) return { code: e.code, field: e.field, message: e.shortMessage, exitCode: e.exitCode };
    throw e;
  }
  assert.fail('expected an error');
}

describe('yaml-config loader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yamlcfg-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
  const o = { code: 'E_TEST_CONFIG', fileField: '--config' } as const;

  it('returns the schema\'s output for a good file', () => {
    const p = file('good.yaml', 'name: a\nlisten:\n  host: 127.0.0.1\n  port: 8443\n');
    assert.deepEqual(loadYamlConfig(p, Schema, o), { name: 'a', listen: { host: '127.0.0.1', port: 8443 } });
  });

  it('a schema error names file, line and field path', () => {
    const p = file('bad.yaml', 'name: a\nlisten:\n  host: 127.0.0.1\n  port: 99999\n');
    const e = errorOf(() => loadYamlConfig(p, Schema, o));
    assert.equal(e.code, 'E_TEST_CONFIG');
    assert.equal(e.field, `${p}:4: listen.port`);
    assert.equal(e.exitCode, 2);
  });

  it('a missing key points at its parent\'s line; an unknown key at itself', () => {
    const missing = file('missing.yaml', 'name: a\nlisten:\n  host: 127.0.0.1\n');
    assert.equal(errorOf(() => loadYamlConfig(missing, Schema, o)).field, `${missing}:3: listen.port`);
    const unknown = file('unknown.yaml', 'name: a\nlisten: {host: h, port: 1}\ntyop: 1\n');
    assert.match(errorOf(() => loadYamlConfig(unknown, Schema, o)).field ?? '', /unknown\.yaml:1: \(root\)$/);
  });

  it('a YAML syntax error names the line', () => {
    const p = file('syntax.yaml', 'name: a\nlisten: [oops\n');
    const e = errorOf(() => loadYamlConfig(p, Schema, { ...o, exitCode: 1 }));
    assert.equal(e.code, 'E_TEST_CONFIG');
    assert.match(e.field ?? '', /syntax\.yaml:\d+$/);
    assert.match(e.message, /^YAML: /);
    assert.equal(e.exitCode, 1);
  });

  it('duplicate keys are an error, not a silent last-wins', () => {
    const p = file('dup.yaml', 'name: a\nname: b\nlisten: {host: h, port: 1}\n');
    assert.match(errorOf(() => loadYamlConfig(p, Schema, o)).field ?? '', /dup\.yaml:2$/);
  });

  it('an unreadable file names the flag that gave it', () => {
    const e = errorOf(() => loadYamlConfig(join(dir, 'nope.yaml'), Schema, o));
    assert.equal(e.code, 'E_NO_FILE');
    assert.equal(e.field, '--config');
    assert.match(e.message, /ENOENT/);
  });

  it('validates a section with its path and line', () => {
    const y = parseYaml('name: a\ncontrol:\n  every: -1\n', 'agent.yaml', o);
    const e = errorOf(() => validateYaml(y, z.object({ every: z.number().positive() }), { ...o, at: ['control'] }));
    assert.equal(e.field, 'agent.yaml:3: control.every');
    assert.deepEqual(validateYaml(parseYaml('', 'empty.yaml', o), z.object({}).strict(), o), {});
  });
});
