import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import {
  rpcResponseSchema, v2ResultSchemas, debugResultSchemas, controlPanelItemSchemas, diagnosticsSchema,
  heightsSchema, currentMinuteSchema, authoritiesSchema, federatedServersSchema, auditServersSchema,
  debugConfigurationSchema, composeChainSchema,
} from '../../src/factomd/schemas.js';
import { SAMPLES, sample } from './fake-server.js';

/** Which schema each sample file is an answer of. Every JSON sample must be listed here. */
const SCHEMA_OF: Record<string, z.ZodType> = {
  'v2-ablock-by-height-1.json': v2ResultSchemas['ablock-by-height'],
  'v2-authorities-2node.json': v2ResultSchemas.authorities,
  'v2-authorities.json': v2ResultSchemas.authorities,
  'v2-current-minute.json': v2ResultSchemas['current-minute'],
  'v2-dblock-by-height-1.json': v2ResultSchemas['dblock-by-height'],
  'v2-diagnostics-2node-n1.json': v2ResultSchemas.diagnostics,
  'v2-diagnostics.json': v2ResultSchemas.diagnostics,
  'v2-directory-block-head.json': v2ResultSchemas['directory-block-head'],
  'v2-entry-credit-rate.json': v2ResultSchemas['entry-credit-rate'],
  'v2-heights.json': v2ResultSchemas.heights,
  'v2-pending-entries.json': v2ResultSchemas['pending-entries'],
  'v2-pending-transactions.json': v2ResultSchemas['pending-transactions'],
  'v2-properties.json': v2ResultSchemas.properties,
  'v2-tps-rate.json': v2ResultSchemas['tps-rate'],
  'debug-audit-servers.json': debugResultSchemas['audit-servers'],
  'debug-authorities.json': debugResultSchemas.authorities,
  'debug-configuration.json': debugResultSchemas.configuration,
  'debug-current-minute.json': debugResultSchemas['current-minute'],
  'debug-delay.json': debugResultSchemas.delay,
  'debug-drop-rate.json': debugResultSchemas['drop-rate'],
  'debug-federated-servers.json': debugResultSchemas['federated-servers'],
  'debug-holding-queue.json': debugResultSchemas['holding-queue'],
  'debug-messages.json': debugResultSchemas.messages,
  'debug-network-info.json': debugResultSchemas['network-info'],
  'debug-predictive-fer.json': debugResultSchemas['predictive-fer'],
  'debug-process-list.json': debugResultSchemas['process-list'],
  'debug-summary-2node-n1.json': debugResultSchemas.summary,
  'debug-summary-2node-n2.json': debugResultSchemas.summary,
  'debug-summary.json': debugResultSchemas.summary,
  'cp-channelLength.json': controlPanelItemSchemas.channelLength,
  'cp-completeHeight.json': controlPanelItemSchemas.completeHeight,
  'cp-dataDump.json': controlPanelItemSchemas.dataDump,
  'cp-ignoreDone.json': controlPanelItemSchemas.ignoreDone,
  'cp-leaderHeight.json': controlPanelItemSchemas.leaderHeight,
  'cp-myHeight.json': controlPanelItemSchemas.myHeight,
  'cp-nextNode.json': controlPanelItemSchemas.nextNode,
  'cp-peerTotals.json': controlPanelItemSchemas.peerTotals,
  'cp-peers.json': controlPanelItemSchemas.peers,
  'cp-recentTransactions.json': controlPanelItemSchemas.recentTransactions,
  'cp-servercount.json': controlPanelItemSchemas.servercount,
};

function mustParse(schema: z.ZodType, value: unknown, what: string): void {
  const r = schema.safeParse(value);
  assert.ok(r.success, `${what}: ${r.success ? '' : JSON.stringify(r.error.issues.slice(0, 3))}`);
}

describe('factomd schemas against the real v6.17.1 samples', () => {
  it('every JSON sample file has a schema and parses with it', () => {
    const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.json') && f !== 'cp-batch.json');
    assert.ok(files.length >= 40, `expected the sample set, found ${files.length}`);
    for (const f of files) {
      const schema = SCHEMA_OF[f];
      assert.ok(schema, `no schema mapped for sample ${f}`);
      const body = sample(f);
      if (f.startsWith('cp-')) mustParse(schema, body, f);
      else {
        mustParse(rpcResponseSchema, body, `${f} envelope`);
        mustParse(schema, (body as { result: unknown }).result, f);
      }
    }
  });

  it('cp-batch.json parses item by item in batch order', () => {
    const batch = sample('cp-batch.json') as unknown[];
    const order = ['myHeight', 'leaderHeight', 'completeHeight', 'servercount'] as const;
    assert.equal(batch.length, order.length);
    order.forEach((item, i) => mustParse(controlPanelItemSchemas[item], batch[i], `batch.${i}`));
  });

  it('every API snapshot of the behaviour cases parses (stalls, swaps, syncing states included)', () => {
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : n.startsWith('api-') && n.endsWith('.json') ? [p] : [];
    });
    const files = walk(join(SAMPLES, 'behaviour'));
    assert.ok(files.length > 50);
    const parts: Record<string, z.ZodType> = {
      heights: heightsSchema, diagnostics: diagnosticsSchema, 'current-minute': currentMinuteSchema,
      'federated-servers': federatedServersSchema, 'audit-servers': auditServersSchema,
    };
    let checked = 0;
    const statuses = new Set<string>();
    for (const f of files) {
      const snap = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
      if ('App' in snap) { // a configuration excerpt
        continue;
      }
      if ('jsonrpc' in snap) { // a single answer: diagnostics, properties or configuration
        const name = f.includes('diagnostics') ? diagnosticsSchema : f.includes('properties') ? v2ResultSchemas.properties : debugConfigurationSchema;
        mustParse(name, snap.result, f);
        checked++;
        continue;
      }
      for (const [key, schema] of Object.entries(parts)) {
        const part = snap[key] as { result?: unknown; curl_error?: number } | undefined;
        if (part?.result === undefined) continue; // the node was down (curl_error)
        mustParse(schema, part.result, `${f} ${key}`);
        if (key === 'diagnostics') statuses.add((part.result as { syncing: { status: string } }).syncing.status);
        checked++;
      }
    }
    assert.ok(checked > 200, `checked ${checked}`);
    assert.deepEqual([...statuses].sort(), ['Processing', 'Syncing DBSigs', 'Syncing EOMs']);
  });
});

describe('factomd schemas refuse what would mislead us', () => {
  const heights = (sample('v2-heights.json') as { result: Record<string, unknown> }).result;
  const diag = (sample('v2-diagnostics.json') as { result: Record<string, unknown> }).result;

  it('a string where a number belongs fails, naming the field', () => {
    const r = heightsSchema.safeParse({ ...heights, directoryblockheight: '1' });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues[0]?.path, ['directoryblockheight']);
  });

  it('negative and fractional heights fail', () => {
    assert.equal(heightsSchema.safeParse({ ...heights, leaderheight: -1 }).success, false);
    assert.equal(heightsSchema.safeParse({ ...heights, leaderheight: 1.5 }).success, false);
  });

  it('a chain ID of the wrong length or not hex fails', () => {
    assert.equal(diagnosticsSchema.safeParse({ ...diag, id: 'abcd' }).success, false);
    assert.equal(diagnosticsSchema.safeParse({ ...diag, id: 'z'.repeat(64) }).success, false);
  });

  it('an unknown role fails; extra fields from a newer factomd pass and are dropped', () => {
    assert.equal(diagnosticsSchema.safeParse({ ...diag, role: 'Boss' }).success, false);
    const r = diagnosticsSchema.safeParse({ ...diag, futurefield: 1 });
    assert.ok(r.success);
    assert.equal('futurefield' in r.data, false);
  });

  it('unbounded arrays and strings are refused', () => {
    const authority = (sample('v2-authorities.json') as { result: { authorities: unknown[] } }).result.authorities[0];
    assert.equal(authoritiesSchema.safeParse({ authorities: Array(10_001).fill(authority) }).success, false);
    assert.equal(v2ResultSchemas.properties.safeParse({ factomdversion: 'x'.repeat(10_000), factomdapiversion: '2.0' }).success, false);
  });

  it('minute 10 (end of block) is accepted, 11 is not', () => {
    const cm = (sample('v2-current-minute.json') as { result: Record<string, unknown> }).result;
    assert.ok(currentMinuteSchema.safeParse({ ...cm, minute: 10 }).success);
    assert.equal(currentMinuteSchema.safeParse({ ...cm, minute: 11 }).success, false);
  });

  it('a composed commit-chain must be exactly 200 bytes', () => {
    const call = (method: string, params: unknown) => ({ jsonrpc: '2.0', id: 0, method, params });
    const ok = { commit: call('commit-chain', { message: '00'.repeat(200) }), reveal: call('reveal-chain', { entry: '00'.repeat(40) }) };
    assert.ok(composeChainSchema.safeParse(ok).success);
    assert.equal(composeChainSchema.safeParse({ ...ok, commit: call('commit-chain', { message: '00'.repeat(136) }) }).success, false);
    assert.equal(composeChainSchema.safeParse({ ...ok, commit: call('commit-entry', { message: '00'.repeat(200) }) }).success, false);
  });
});
