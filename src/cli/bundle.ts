import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { AnoguardError } from '../errors.js';
import { createFactomdClient } from '../factomd/client.js';
import { writeFileAtomic } from '../util/fs.js';
import { readBundleFile, verifyBundle } from '../identity/bundle.js';
import { parseUintArg } from '../identity/inputs.js';
import { readKeysDir, readKeysFile, requireEc } from '../identity/key-input.js';
import { passphraseSource } from '../identity/passphrase.js';
import { signBundleCommits } from '../identity/plan.js';
import { receiptPathFor, submitBundle, type SubmitEvent } from '../identity/submit.js';
import { emit, note, wantsJson } from './print.js';

function describeEvent(e: SubmitEvent): string {
  switch (e.type) {
    case 'balance': return `EC balance of ${e.ecAddress}: ${e.balance} (needs ${e.needed})`;
    case 'skip': return `item ${e.index + 1} ${e.kind}: ${e.why}`;
    case 'step': return `item ${e.index + 1} ${e.kind}: ${e.step}${e.detail ? ` ${e.detail}` : ''}`;
    case 'effect': return `effect: ${e.applied} applied, ${e.rejected} rejected, ${e.pending} not processed yet`;
  }
}

/** The `bundle` command group: verify, sign commits (second stage), submit. */
export function register(program: Command): void {
  const bundle = program.command('bundle').description('signed identity bundles: verify, sign commits online, submit');

  bundle.command('verify')
    .description('check a bundle: manifest, hashes, chain IDs, EC commit signatures, key-1 signatures, ordering, expiry (exit 1 on any failure)')
    .argument('<bundle>', 'bundle file')
    .option('--at <millis>', 'check as of this unix time in milliseconds (default now)')
    .action((path: string, o: { at?: string }, cmd: Command) => {
      const b = readBundleFile(path);
      const atMs = o.at !== undefined ? parseUintArg(o.at, '--at', 0xffffffffffff) : Date.now();
      const v = verifyBundle(b, { atMs });
      emit(cmd, { bundle: path, at: new Date(atMs).toISOString(), ...v, items: b.items.length, rootChainId: b.identity.rootChainId }, () => [
        `${v.ok ? 'OK' : 'INVALID'}  ${path}: ${b.items.length} items, ${v.ecTotal} EC, valid ${v.notBefore} .. ${v.expiresAt}`,
        ...v.errors.map((e) => `  error   ${e.item !== undefined ? `item ${e.item + 1} (${e.kind}) ` : ''}${e.message} [${e.code}]`),
        ...v.warnings.map((w) => `  warning ${w.item !== undefined ? `item ${w.item + 1} (${w.kind}) ` : ''}${w.message} [${w.code}]`),
      ].join('\n'));
      if (!v.ok) process.exitCode = 1;
    });

  bundle.command('sign-commits')
    .description('second-stage signing: (re)sign every commit with an EC key that never saw the offline machine')
    .argument('<bundle>', 'bundle file (rewritten unless --out is given)')
    .requiredOption('--ec-key <file>', 'Es… secret: keystore or 0600 file')
    .option('--commit-time <millis>', 'commit time, unix milliseconds (default now; factomd accepts ±1 h)')
    .option('--passphrase-file <file>', 'keystore passphrase from a 0600 file')
    .option('--out <file>', 'write the signed bundle here instead of replacing the input')
    .action(async (path: string, o: { ecKey: string; commitTime?: string; passphraseFile?: string; out?: string }, cmd: Command) => {
      const b = readBundleFile(path);
      const out = o.out ?? path;
      if (existsSync(receiptPathFor(out))) {
        throw new AnoguardError('E_RECEIPT', 'this bundle already has a submission receipt; re-signing it would pay twice', { field: 'BUNDLE' });
      }
      const pass = passphraseSource({ ...(o.passphraseFile ? { file: o.passphraseFile } : {}) });
      const found = existsSync(o.ecKey) && statSync(o.ecKey).isDirectory() ? await readKeysDir(o.ecKey, '--ec-key', pass) : await readKeysFile(o.ecKey, '--ec-key', pass);
      const ecSeed = requireEc(found, '--ec-key');
      const commitTimeMs = o.commitTime !== undefined ? parseUintArg(o.commitTime, '--commit-time', 0xffffffffffff) : Date.now();
      const signed = signBundleCommits(b, { ecSeed, commitTimeMs }, Date.now());
      writeFileAtomic(out, `${JSON.stringify(signed, null, 2)}\n`, { mode: 0o644 });
      emit(cmd, { bundle: out, expiresAt: signed.expiresAt, manifestHash: signed.manifestHash }, () => `signed ${signed.items.length} commits into ${out}; valid until ${signed.expiresAt}`);
    });

  bundle.command('submit')
    .description('submit a verified bundle: EC balance check, commits then reveals with acks, idempotent (receipt next to the bundle), then read the effect back')
    .argument('<bundle>', 'bundle file')
    .requiredOption('--factomd <url>', 'factomd API, e.g. http://localhost:8088')
    .option('--walletd <url>', 'not needed for a signed bundle (commits are already signed); accepted for symmetry with other tools')
    .option('--ack-timeout <seconds>', 'wait this long for each acknowledgement', '120')
    .action(async (path: string, o: { factomd: string; walletd?: string; ackTimeout: string }, cmd: Command) => {
      const b = readBundleFile(path);
      const client = createFactomdClient({ url: o.factomd });
      const json = wantsJson(cmd);
      const r = await submitBundle({
        bundle: b,
        bundlePath: path,
        client,
        ackTimeoutMs: parseUintArg(o.ackTimeout, '--ack-timeout', 86_400) * 1000,
        onEvent: (e) => { if (!json || process.stderr.isTTY) note(describeEvent(e)); },
      });
      const eff = r.receipt.effect;
      emit(cmd, { bundle: path, receipt: r.receiptPath, alreadyLanded: r.alreadyLanded, submitted: r.submitted, effect: eff, warnings: r.verification.warnings }, () => [
        `submitted ${r.submitted.length} item(s); ${r.alreadyLanded.length} were already on factomd`,
        `receipt ${r.receiptPath}`,
        ...(eff ? [
          `effect: ${eff.applied.length} applied, ${eff.rejected.length} rejected, ${eff.pending.length} not processed yet${eff.pending.length > 0 ? ' (check again after the next block: anoguard identity show)' : ''}`,
          ...eff.rejected.map((x) => `  rejected ${x.entryHash}: ${x.reason}`),
          ...(eff.error ? [`  (could not read the identity back: ${eff.error})`] : []),
        ] : []),
      ].join('\n'));
      if (eff && eff.rejected.length > 0) process.exitCode = 1;
    });
}
