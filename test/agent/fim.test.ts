import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, chmodSync, unlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFimProbe } from '../../src/agent/probes/fim.js';
import { diffFim } from '../../src/agent/fim.js';
import { fixtureCtx, memoryState } from './helpers/ctx.js';

describe('file integrity monitoring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-fim-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('baseline first, then added / modified / mode / removed events without contents or hashes', async () => {
    const etc = join(dir, 'etc');
    mkdirSync(join(etc, 'sshd_config.d'), { recursive: true });
    mkdirSync(join(dir, 'home/factomd/.ssh'), { recursive: true });
    const conf = join(etc, 'factomd.conf');
    const sshd = join(etc, 'sshd_config');
    const keys = join(dir, 'home/factomd/.ssh/authorized_keys');
    writeFileSync(conf, '[app]\nLocalServerPrivKey = 4c38c72fc5cdad68f13b74674d3ffb1f3d63a112710868c9b08946553448d26d\n', { mode: 0o600 });
    writeFileSync(sshd, 'PermitRootLogin no\n');
    writeFileSync(join(etc, 'sshd_config.d/10-anoguard.conf'), 'PasswordAuthentication no\n');
    writeFileSync(keys, 'ssh-ed25519 AAAA ops\n');
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, `root:x:0:0:root:/root:/bin/bash\nfactomd:x:1001:1001::${join(dir, 'home/factomd')}:/bin/sh\n`);

    const probe = createFimProbe({ paths: [sshd, join(etc, 'sshd_config.d/*')], criticalPaths: [conf], authorizedKeysUsers: ['factomd'], passwdPath: passwd });
    const state = memoryState();
    const first = await probe.collect(fixtureCtx({ state }));
    assert.deepEqual(first.events, []);
    assert.equal(first.samples.find((s) => s.name === 'anoguard_fim_files')!.value, 4);

    // nothing changed: nothing reported
    assert.deepEqual((await probe.collect(fixtureCtx({ state }))).events, []);

    writeFileSync(conf, '[app]\nLocalServerPrivKey = 0000000000000000000000000000000000000000000000000000000000000000\n', { mode: 0o600 });
    chmodSync(sshd, 0o666);
    writeFileSync(join(etc, 'sshd_config.d/99-evil.conf'), 'PermitRootLogin yes\n');
    unlinkSync(join(etc, 'sshd_config.d/10-anoguard.conf'));
    writeFileSync(keys, 'ssh-ed25519 AAAA ops\nssh-ed25519 BBBB intruder\n');
    const r = await probe.collect(fixtureCtx({ state, now: 5 }));
    const by = new Map(r.events.map((e) => [e.data.path as string, e]));
    assert.equal(r.events.length, 5);
    assert.deepEqual(by.get(conf)!.data.fields, ['content']);
    assert.equal(by.get(conf)!.severity, 'critical');
    assert.deepEqual(by.get(sshd)!.data.fields, ['mode']);
    assert.equal(by.get(sshd)!.data.modeAfter, '666');
    assert.equal(by.get(sshd)!.severity, 'warning');
    assert.equal(by.get(join(etc, 'sshd_config.d/99-evil.conf'))!.data.change, 'added');
    assert.equal(by.get(join(etc, 'sshd_config.d/10-anoguard.conf'))!.data.change, 'removed');
    assert.equal(by.get(keys)!.severity, 'critical');
    for (const e of r.events) {
      assert.equal(e.kind, 'fim.changed');
      assert.equal(e.t, 5);
      const text = JSON.stringify(e);
      assert.ok(!text.includes('LocalServerPrivKey') && !text.includes('intruder') && !text.includes('sha256'), 'no contents or hashes in events');
    }
  });

  it('a touch (mtime only) is info', async () => {
    const f = join(dir, 'touched');
    writeFileSync(f, 'x');
    const probe = createFimProbe({ paths: [f] });
    const state = memoryState();
    await probe.collect(fixtureCtx({ state }));
    utimesSync(f, new Date(1_000_000), new Date(1_000_000));
    const [e] = (await probe.collect(fixtureCtx({ state }))).events;
    assert.deepEqual(e!.data.fields, ['mtime']);
    assert.equal(e!.severity, 'info');
  });

  it('a file the agent may not read: a size or mtime change is a possible content change', () => {
    const rec = { sha256: null, mode: 0o600, uid: 0, gid: 0, size: 10, mtimeMs: 1000 };
    const [e] = diffFim({ '/k': rec }, { '/k': { ...rec, mtimeMs: 2000 } }, 1, new Set(['/k']));
    assert.deepEqual(e!.data.fields, ['content']);
    assert.equal(e!.data.hashed, false);
    assert.equal(e!.severity, 'critical');
    assert.deepEqual(diffFim({ '/k': rec }, { '/k': { ...rec } }, 1), []);
  });
});
