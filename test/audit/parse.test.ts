import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePs, parseStat } from '../../src/audit/facts.js';
import { dockerUserChain, inputChains, parseIptablesSave, parseNftRuleset, reachableFromAnywhere } from '../../src/audit/parse/firewall.js';
import { parseSshdT, sshdList, sshdValue } from '../../src/audit/parse/sshd.js';
import { parseSshTarget, shellQuote, sshFingerprint } from '../../src/audit/ssh-runner.js';
import { fixture } from './fixtures.js';

describe('sshd -T', () => {
  it('reads keywords, repeated list keywords and comma lists', () => {
    const c = parseSshdT(fixture('sshd-good-foreign.txt'));
    assert.equal(sshdValue(c, 'permitrootlogin'), 'no');
    assert.deepEqual(sshdList(c, 'denyusers'), ['*']);
    assert.deepEqual(sshdList(c, 'allowusers'), ['ops@203.0.113.10/32']);
    assert.deepEqual(sshdList(c, 'ciphers'), ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm@openssh.com']);
    assert.deepEqual(sshdList(parseSshdT('port 22\nport 2222\n'), 'port'), ['22', '2222']);
  });
});

describe('firewall model', () => {
  it('nft: default-drop input, source-restricted accepts, explicit drops', () => {
    const m = parseNftRuleset(fixture('nft-good.nft'));
    assert.equal(inputChains(m).length, 1);
    assert.equal(inputChains(m)[0]!.policy, 'drop');
    for (const p of [22, 2222, 8088, 8090, 8108, 9876, 5432]) assert.equal(reachableFromAnywhere(m, p), false, String(p));
    assert.deepEqual(dockerUserChain(m), { present: true, filtering: true });
  });
  it('nft: policy accept leaves everything reachable except explicit drops', () => {
    const m = parseNftRuleset('table inet t {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 9876 drop\n\t}\n}\n');
    assert.equal(reachableFromAnywhere(m, 9876), false);
    assert.equal(reachableFromAnywhere(m, 8088), true);
  });
  it('nft: a later input chain with drop policy still blocks what an earlier one accepts', () => {
    const text = [
      'table inet a {', '\tchain input {', '\t\ttype filter hook input priority 0; policy accept;', '\t\ttcp dport 8088 accept', '\t}', '}',
      'table inet b {', '\tchain input {', '\t\ttype filter hook input priority 10; policy drop;', '\t}', '}',
    ].join('\n');
    assert.equal(reachableFromAnywhere(parseNftRuleset(text), 8088), false);
  });
  it('nft: jumps into regular chains and port ranges are followed', () => {
    const text = [
      'table inet a {', '\tchain input {', '\t\ttype filter hook input priority 0; policy drop;', '\t\tjump svc', '\t}',
      '\tchain svc {', '\t\ttcp dport 8000-9000 accept', '\t}', '}',
    ].join('\n');
    const m = parseNftRuleset(text);
    assert.equal(reachableFromAnywhere(m, 8088), true);
    assert.equal(reachableFromAnywhere(m, 22), false);
  });
  it('no input chain means no firewall: everything reachable', () => {
    assert.equal(reachableFromAnywhere(parseNftRuleset(''), 22), true);
  });
  it('iptables-save: policy, -s, --dports and DOCKER-USER', () => {
    const g = parseIptablesSave(fixture('iptables-good.txt'));
    assert.equal(inputChains(g)[0]!.policy, 'drop');
    assert.equal(reachableFromAnywhere(g, 8090), false);
    assert.equal(dockerUserChain(g).filtering, true);
    const b = parseIptablesSave(fixture('iptables-bad.txt'));
    assert.equal(reachableFromAnywhere(b, 8088), true);
    assert.equal(reachableFromAnywhere(b, 2222), true, 'policy ACCEPT: the -s rule does not close it to others');
    assert.deepEqual(dockerUserChain(b), { present: true, filtering: false });
  });
});

describe('small parsers', () => {
  it('ps output with long user names and arguments', () => {
    const ps = parsePs('  1   0 root   12 systemd /sbin/init splash\n  77  1 systemd-timesync 5 systemd-timesyn /lib/systemd/systemd-timesyncd\n');
    assert.deepEqual(ps[1], { pid: 77, ppid: 1, user: 'systemd-timesync', elapsedSeconds: 5, comm: 'systemd-timesyn', args: '/lib/systemd/systemd-timesyncd' });
    assert.equal(ps[0]!.args, '/sbin/init splash');
  });
  it('stat -c "%a %U %G"', () => {
    assert.deepEqual(parseStat('/f', '640 root adm\n'), { path: '/f', mode: 0o640, owner: 'root', group: 'adm' });
    assert.equal(parseStat('/f', 'stat: cannot statx'), undefined);
  });
});

describe('ssh target and quoting', () => {
  it('parses user@host:port and refuses the rest with exit code 2', () => {
    assert.deepEqual(parseSshTarget('ops@10.0.0.1:2222'), { user: 'ops', host: '10.0.0.1', port: 2222 });
    assert.deepEqual(parseSshTarget('ops@[::1]:22'), { user: 'ops', host: '::1', port: 22 });
    assert.deepEqual(parseSshTarget('ops@node.example'), { user: 'ops', host: 'node.example', port: 22 });
    for (const bad of ['10.0.0.1', 'ops@', 'ops@h:0', 'ops@h:70000', 'o;p@h']) {
      assert.throws(() => parseSshTarget(bad), (e: Error & { exitCode?: number }) => e.exitCode === 2, bad);
    }
  });
  it('quotes shell metacharacters', () => {
    assert.equal(shellQuote('/etc/ssh/sshd_config'), '/etc/ssh/sshd_config');
    assert.equal(shellQuote("a'b; rm -rf /"), "'a'\\''b; rm -rf /'");
    assert.equal(shellQuote('${Status}'), "'${Status}'");
  });
  it('host key fingerprints are OpenSSH SHA256: form', () => {
    assert.match(sshFingerprint(Buffer.from('x')), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
