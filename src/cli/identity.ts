import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { AnoguardError, InputError } from '../errors.js';
import { bytesToHex, formatEfficiency, matryoshkaHashFromSeed, publicKeyFromSeed } from '../factom/index.js';
import { createFactomdClient } from '../factomd/client.js';
import { writeFileAtomic } from '../util/fs.js';
import type { Bundle } from '../identity/bundle.js';
import { counterManagementChainId, createIdentity, parseBitcoinAddress, type BitcoinKey } from '../identity/create.js';
import {
  findIdentityRecord, IDENTITY_RECORD_FILE, parseCoinbaseAddressArg, parseEfficiencyArg, parseHexArg,
  parseIdentityChainIdArg, parseUintArg,
} from '../identity/inputs.js';
import {
  parseSigningSeedText, readKeysDir, readKeysFile, requireAllIdentitySeeds, requireEc, requireSk1, type FoundKeys,
} from '../identity/key-input.js';
import {
  checkPassphraseStrength, decryptKeystore, generateSecrets, readKeystoreFile, writeNewKeystore, KEYSTORE_FILE,
  type KeystoreSecrets,
} from '../identity/keystore.js';
import { readShares, restoreKeystoreSecrets, splitKeystoreSecrets, writeShares } from '../identity/keystore-shares.js';
import { passphraseSource, type PassphraseSource } from '../identity/passphrase.js';
import { updateBundle, type CommitSigner, type UpdateMessage } from '../identity/plan.js';
import { formatShow, showIdentity } from '../identity/show.js';
import { readSecretFile } from '../util/fs.js';
import { emit, note, wantsJson } from './print.js';

/** 2^24: expected attempts for a 3-byte prefix. */
const EXPECTED_ATTEMPTS = 16_777_216;

interface CommonOpts {
  timestamp?: string;
  commitTime?: string;
  network: string;
  out: string;
  force?: boolean;
  ecKey?: string;
  passphraseFile?: string;
}

function nowMs(): number {
  return Date.now();
}

function timestampOf(o: CommonOpts): number {
  return o.timestamp !== undefined ? parseUintArg(o.timestamp, '--timestamp', 0xffffffffff) : Math.floor(nowMs() / 1000);
}
function commitTimeOf(o: CommonOpts): number {
  return o.commitTime !== undefined ? parseUintArg(o.commitTime, '--commit-time', 0xffffffffffff) : nowMs();
}

/** Keys files are read at most once each, with one passphrase for the command. */
function keyReader(pass: PassphraseSource): (path: string, field: string) => Promise<FoundKeys> {
  const cache = new Map<string, Promise<FoundKeys>>();
  return (path, field) => {
    let p = cache.get(path);
    if (!p) {
      const isDir = existsSync(path) && statSync(path).isDirectory();
      p = isDir ? readKeysDir(path, field, pass) : readKeysFile(path, field, pass);
      cache.set(path, p);
    }
    return p;
  };
}

async function signerOf(o: CommonOpts, read: (p: string, f: string) => Promise<FoundKeys>): Promise<CommitSigner> {
  if (!o.ecKey) return undefined;
  return { ecSeed: requireEc(await read(o.ecKey, '--ec-key'), '--ec-key'), commitTimeMs: commitTimeOf(o) };
}

function writeBundle(o: CommonOpts, bundle: Bundle): void {
  if (existsSync(o.out) && !o.force) {
    throw new AnoguardError('E_EXISTS', 'refusing to overwrite an existing bundle (use --force; a bundle with a receipt may be half-submitted)', { field: '--out' });
  }
  writeFileAtomic(o.out, `${JSON.stringify(bundle, null, 2)}\n`, { mode: 0o644 });
}

function bundleSummary(path: string, b: Bundle): Record<string, unknown> {
  return {
    bundle: path,
    network: b.network,
    rootChainId: b.identity.rootChainId,
    ...(b.identity.managementChainId ? { managementChainId: b.identity.managementChainId } : {}),
    notBefore: b.notBefore,
    expiresAt: b.expiresAt,
    manifestHash: b.manifestHash,
    commitsSigned: b.items.every((i) => i.commitHex !== null),
    ecTotal: b.items.reduce((n, i) => n + i.ecCost, 0),
    items: b.items.map((i) => ({ kind: i.kind, chainId: i.chainId, entryHash: i.entryHash, ecCost: i.ecCost })),
  };
}

function humanBundle(path: string, b: Bundle): string {
  const lines = [
    `wrote ${path} (${b.items.length} item${b.items.length === 1 ? '' : 's'}, ${b.items.reduce((n, i) => n + i.ecCost, 0)} EC)`,
    `identity    ${b.identity.rootChainId}`,
    ...(b.identity.managementChainId ? [`management  ${b.identity.managementChainId}`] : []),
    `valid       ${b.notBefore} .. ${b.expiresAt}`,
    ...b.items.map((i, n) => `  ${n + 1}. ${i.kind.padEnd(27)} ${i.entryHash}`),
  ];
  if (b.items.some((i) => i.commitHex === null)) lines.push('commits not signed: run `anoguard bundle sign-commits` on the online side');
  return lines.join('\n');
}

function commonOptions(c: Command): Command {
  return c
    .option('--timestamp <seconds>', 'identity message timestamp, unix seconds (default now; factomd accepts ±12 h)')
    .option('--commit-time <millis>', 'commit timestamp, unix milliseconds (default now; factomd accepts ±1 h)')
    .option('--ec-key <file>', 'Es… secret paying the entry credits: keystore or 0600 file (omit to sign commits later with `bundle sign-commits`)')
    .option('--passphrase-file <file>', 'keystore passphrase from a 0600 file (default: stdin, or a prompt on a terminal)')
    .option('--network <name>', 'network label recorded in the bundle', 'mainnet')
    .requiredOption('--out <bundle>', 'bundle file to write (JSON, no secrets)')
    .option('--force', 'overwrite an existing bundle file');
}

function withUpdate(c: Command, needsSubchain: boolean): Command {
  c.requiredOption('--identity <rootChainId>', 'identity root chain ID (888888…)')
    .requiredOption('--key <sk1file>', 'sk1 secret (the key factomd checks): keystore or 0600 file holding sk1…');
  if (needsSubchain) {
    c.option('--subchain <chainId>', 'server management chain ID (offline); else read from --factomd or the keystore directory')
      .option('--factomd <url>', 'look the management chain up on this factomd');
  }
  return commonOptions(c);
}

interface UpdateOpts extends CommonOpts { identity: string; key: string; subchain?: string; factomd?: string }

async function resolveSubchain(o: UpdateOpts, root: Uint8Array): Promise<Uint8Array> {
  if (o.subchain) return parseIdentityChainIdArg(o.subchain, '--subchain');
  const rootHex = bytesToHex(root);
  const rec = findIdentityRecord(o.key, rootHex);
  if (rec) return parseIdentityChainIdArg(rec.managementChainId, IDENTITY_RECORD_FILE);
  if (o.factomd) {
    const r = await showIdentity(createFactomdClient({ url: o.factomd }), rootHex);
    if (!r.state.managementChainId) throw new AnoguardError('E_NO_SUBCHAIN', 'the identity has no registered management chain on that factomd', { field: '--factomd' });
    return parseIdentityChainIdArg(r.state.managementChainId, '--factomd');
  }
  note('note: no --subchain given; assuming the management chain serveridentity derives (counter nonce). Give --subchain to be sure.');
  return counterManagementChainId(root);
}

function registerUpdate(
  identity: Command,
  name: string,
  description: string,
  needsSubchain: boolean,
  addOptions: (c: Command) => Command,
  message: (o: Record<string, string | undefined>, read: (p: string, f: string) => Promise<FoundKeys>) => Promise<UpdateMessage> | UpdateMessage,
): void {
  const c = addOptions(identity.command(name).description(description));
  withUpdate(c, needsSubchain).action(async (o: UpdateOpts & Record<string, string | undefined>, cmd: Command) => {
    const root = parseIdentityChainIdArg(o.identity, '--identity');
    const pass = passphraseSource({ ...(o.passphraseFile ? { file: o.passphraseFile } : {}) });
    const read = keyReader(pass);
    const msg = await message(o, read);
    const timestampSeconds = timestampOf(o);
    const sk1Seed = requireSk1(await read(o.key, '--key'), '--key');
    const signer = await signerOf(o, read);
    const managementChainId = needsSubchain ? await resolveSubchain(o, root) : undefined;
    const bundle = updateBundle({
      rootChainId: root,
      ...(managementChainId ? { managementChainId } : {}),
      sk1Seed,
      timestampSeconds,
      signer,
      message: msg,
      network: o.network,
      createdAtMs: nowMs(),
    });
    writeBundle(o, bundle);
    emit(cmd, bundleSummary(o.out, bundle), () => humanBundle(o.out, bundle));
  });
}

function progressBar(json: boolean): { update: (label: string, attempts: number, ms: number) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    noTTYOutput: true,
    notTTYSchedule: 2000,
    hideCursor: false,
    format: '{label} grinding |{bar}| {attempts} attempts | {rate}/s | ETA ~{etaText}',
  }, cliProgress.Presets.shades_classic);
  let started = false;
  let current = '';
  return {
    update(label, attempts, ms) {
      if (json && !process.stderr.isTTY) return;
      const rate = ms > 0 ? attempts / (ms / 1000) : 0;
      const left = Math.max(0, EXPECTED_ATTEMPTS - attempts);
      const payload = {
        label,
        attempts: attempts.toLocaleString('en-US'),
        rate: `${(rate / 1e6).toFixed(2)} M`,
        etaText: rate > 0 ? (left > 0 ? `${Math.ceil(left / rate)} s` : 'any moment (luck varies)') : '…',
      };
      if (!started || current !== label) {
        if (started) bar.stop();
        bar.start(EXPECTED_ATTEMPTS, Math.min(attempts, EXPECTED_ATTEMPTS), payload);
        started = true;
        current = label;
      } else bar.update(Math.min(attempts, EXPECTED_ATTEMPTS), payload);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** The `identity` command group: the offline ceremony (keys, identity chains, signed update bundles) and `show`. */
export function register(program: Command): void {
  const identity = program.command('identity').description('server identity ceremony: keys, chains, signed bundles (offline) and read-back (online)');

  // ------------------------------------------------------------------------------------ keys
  const keys = identity.command('keys').description('encrypted identity keystore: sk1..sk4 (sk1 is the key factomd checks), block signing key, EC key');

  keys.command('generate')
    .description('create sk1–sk4 (sk1 is the only key factomd checks: it signs every identity message), the block signing key and optionally an EC key, encrypted into DIR/keystore.json (0600, directory 0700); prints the public forms')
    .requiredOption('--dir <dir>', 'keystore directory (created 0700)')
    .option('--with-ec', 'also create an EC key (Es…) to pay for the entries')
    .option('--passphrase-file <file>', 'passphrase from a 0600 file (default: stdin, or a no-echo prompt on a terminal)')
    .action(async (o: { dir: string; withEc?: boolean; passphraseFile?: string }, cmd: Command) => {
      if (existsSync(join(o.dir, KEYSTORE_FILE))) throw new AnoguardError('E_EXISTS', 'a keystore already exists there; refusing to overwrite it', { field: '--dir' });
      const pass = await passphraseSource({ confirm: true, ...(o.passphraseFile ? { file: o.passphraseFile } : {}) })();
      checkPassphraseStrength(pass);
      const secrets = generateSecrets({ withEc: Boolean(o.withEc) });
      const file = await writeNewKeystore(o.dir, secrets, pass);
      printPublic(cmd, o.dir, file.public);
    });

  keys.command('export-public')
    .description('print what the online side needs: idN keys, public keys, block signing public key, EC address (no passphrase needed)')
    .requiredOption('--dir <dir>', 'keystore directory')
    .action((o: { dir: string }, cmd: Command) => {
      const file = readKeystoreFile(o.dir, '--dir');
      printPublic(cmd, o.dir, file.public);
    });

  keys.command('import')
    .description('build a keystore from existing key files (serveridentity output / .conf, factom-identity-cli sk1… or 78-hex forms, Es…); files must be 0600')
    .requiredOption('--dir <dir>', 'new keystore directory')
    .requiredOption('--from <files...>', 'plain 0600 files holding sk1..sk4, LocalServerPrivKey = <hex>, Es…')
    .option('--passphrase-file <file>', 'passphrase for the new keystore from a 0600 file (default: stdin or prompt)')
    .action(async (o: { dir: string; from: string[]; passphraseFile?: string }, cmd: Command) => {
      const none = passphraseSource({ file: '/nonexistent' });
      const merged: FoundKeys = { identitySeeds: [undefined, undefined, undefined, undefined], publicKinds: [] };
      for (const f of o.from) {
        const k = await readKeysFile(f, '--from', none);
        k.identitySeeds.forEach((s, i) => { if (s) merged.identitySeeds[i] = s; });
        if (k.ecSeed) merged.ecSeed = k.ecSeed;
        if (k.blockSigningSeed) merged.blockSigningSeed = k.blockSigningSeed;
        if (k.matryoshkaSeed) merged.matryoshkaSeed = k.matryoshkaSeed;
        merged.publicKinds.push(...k.publicKinds);
      }
      const seeds = requireAllIdentitySeeds(merged, '--from');
      const generatedSigning = !merged.blockSigningSeed;
      const hx = (b: Uint8Array): string => bytesToHex(b);
      const secrets: KeystoreSecrets = {
        version: 1,
        identitySeeds: seeds.map(hx),
        blockSigningSeed: hx(merged.blockSigningSeed ?? new Uint8Array(randomBytes(32))),
        ...(merged.ecSeed ? { ecSeed: hx(merged.ecSeed) } : {}),
        matryoshkaSeed: hx(merged.matryoshkaSeed ?? new Uint8Array(randomBytes(32))),
      };
      const pass = await passphraseSource({ confirm: true, ...(o.passphraseFile ? { file: o.passphraseFile } : {}) })();
      checkPassphraseStrength(pass);
      const file = await writeNewKeystore(o.dir, secrets, pass);
      if (generatedSigning) note('note: no block signing key (LocalServerPrivKey) in the input; a new one was generated');
      printPublic(cmd, o.dir, file.public);
    });

  keys.command('split')
    .description('split the keystore secrets into N Shamir shares (GF(256)), any K of which restore them; for off-site disaster-recovery copies')
    .requiredOption('--dir <dir>', 'keystore directory')
    .requiredOption('--shares <n>', 'number of shares (2..255)')
    .requiredOption('--threshold <k>', 'shares needed to restore (2..N)')
    .requiredOption('--out <dir>', 'directory for the share files (created 0700; each share 0600)')
    .option('--passphrase-file <file>', 'keystore passphrase from a 0600 file')
    .action(async (o: { dir: string; shares: string; threshold: string; out: string; passphraseFile?: string }, cmd: Command) => {
      const n = parseUintArg(o.shares, '--shares', 255);
      const k = parseUintArg(o.threshold, '--threshold', 255);
      if (n < 2) throw new InputError('E_OUT_OF_RANGE', 'at least 2 shares', { field: '--shares', exitCode: 2 });
      if (k < 2 || k > n) throw new InputError('E_OUT_OF_RANGE', `threshold must be 2..${n}`, { field: '--threshold', exitCode: 2 });
      const file = readKeystoreFile(o.dir, '--dir');
      const secrets = await decryptKeystore(file, await passphraseSource({ ...(o.passphraseFile ? { file: o.passphraseFile } : {}) })());
      const shares = splitKeystoreSecrets(secrets, n, k, new Date());
      const paths = writeShares(o.out, shares);
      emit(cmd, { setId: shares[0]!.setId, shares: n, threshold: k, files: paths }, () =>
        [`wrote ${n} shares (any ${k} restore the keys; store them in different places):`, ...paths.map((p) => `  ${p}`)].join('\n'));
    });

  keys.command('restore')
    .description('rebuild a keystore from K share files (re-encrypted under a new passphrase)')
    .requiredOption('--from <paths...>', 'share files, or directories holding share-*.json')
    .requiredOption('--dir <dir>', 'new keystore directory')
    .option('--passphrase-file <file>', 'passphrase for the new keystore from a 0600 file')
    .action(async (o: { from: string[]; dir: string; passphraseFile?: string }, cmd: Command) => {
      const secrets = restoreKeystoreSecrets(readShares(o.from));
      const pass = await passphraseSource({ confirm: true, ...(o.passphraseFile ? { file: o.passphraseFile } : {}) })();
      checkPassphraseStrength(pass);
      const file = await writeNewKeystore(o.dir, secrets, pass);
      printPublic(cmd, o.dir, file.public);
    });

  // ------------------------------------------------------------------------------------ create
  commonOptions(identity.command('create')
    .description('grind the root and management chain IDs (888888…) and sign: root chain, Register Factom Identity, management chain, Register Server Management, New Block Signing Key, New Bitcoin Key, New Matryoshka Hash')
    .requiredOption('--keys <dir>', 'keystore directory (or a directory of 0600 key files: sk1..sk4, LocalServerPrivKey, MatryoshkaSeed)')
    .addOption(new Option('--nonce-scheme <scheme>', 'random (default: unpredictable chain IDs) or counter (serveridentity-compatible)').choices(['random', 'counter']).default('random'))
    .option('--nonce-hex <hex>', 'root chain nonce to use instead of grinding')
    .option('--management-nonce-hex <hex>', 'management chain nonce to use instead of grinding')
    .option('--btc-address <address>', 'Bitcoin anchor key as a P2PKH/P2SH address')
    .option('--btc-hash160 <hex>', 'Bitcoin anchor key as a 20-byte HASH160 (default: random, like serveridentity)')
    .option('--btc-key-level <n>', 'Bitcoin key level 0..3', '0')
    .option('--btc-key-type <n>', 'with --btc-hash160: 0 = P2PKH, 1 = P2SH', '0')
    .option('--mhash-seed-file <file>', 'Matryoshka seed (64 hex, 0600 file); default: the keystore\'s')
    .option('--threads <n>', 'grinding threads (default: all cores)'))
    .action(async (o: CommonOpts & {
      keys: string; nonceScheme: 'random' | 'counter'; nonceHex?: string; managementNonceHex?: string; btcAddress?: string;
      btcHash160?: string; btcKeyLevel: string; btcKeyType: string; mhashSeedFile?: string; threads?: string;
    }, cmd: Command) => {
      const pass = passphraseSource({ ...(o.passphraseFile ? { file: o.passphraseFile } : {}) });
      const read = keyReader(pass);
      const rootNonce = o.nonceHex !== undefined ? parseHexArg(o.nonceHex, '--nonce-hex', { max: 1024 }) : undefined;
      const managementNonce = o.managementNonceHex !== undefined ? parseHexArg(o.managementNonceHex, '--management-nonce-hex', { max: 1024 }) : undefined;
      const keyLevel = parseUintArg(o.btcKeyLevel, '--btc-key-level', 3);
      let bitcoin: BitcoinKey | undefined;
      if (o.btcAddress !== undefined) bitcoin = { keyLevel, ...parseBitcoinAddress(o.btcAddress) };
      else if (o.btcHash160 !== undefined) bitcoin = { keyLevel, keyType: parseUintArg(o.btcKeyType, '--btc-key-type', 1), hash160: parseHexArg(o.btcHash160, '--btc-hash160', { exact: 20 }) };
      const threads = o.threads !== undefined ? parseUintArg(o.threads, '--threads', 256) : undefined;
      const timestampSeconds = timestampOf(o);
      if (existsSync(o.out) && !o.force) throw new AnoguardError('E_EXISTS', 'refusing to overwrite an existing bundle (use --force)', { field: '--out' });

      const found = await read(o.keys, '--keys');
      const identitySeeds = requireAllIdentitySeeds(found, '--keys');
      let mhashSeed = found.matryoshkaSeed;
      if (o.mhashSeedFile) mhashSeed = parseHexArg(readSecretFile(o.mhashSeedFile, '--mhash-seed-file').trim(), '--mhash-seed-file', { exact: 32 });
      // A plain key directory may lack these two: create them there (0600) so they are never lost.
      if (!found.blockSigningSeed) {
        found.blockSigningSeed = new Uint8Array(randomBytes(32));
        const p = join(o.keys, 'block-signing-key');
        writeFileAtomic(p, `LocalServerPrivKey = ${bytesToHex(found.blockSigningSeed)}\n`, { mode: 0o600, exclusive: true });
        note(`note: no block signing key in ${o.keys}; generated one into ${p} (0600)`);
      }
      if (!mhashSeed) {
        mhashSeed = new Uint8Array(randomBytes(32));
        const p = join(o.keys, 'matryoshka-seed');
        writeFileAtomic(p, `MatryoshkaSeed = ${bytesToHex(mhashSeed)}\n`, { mode: 0o600, exclusive: true });
        note(`note: no Matryoshka seed in ${o.keys}; generated one into ${p} (0600)`);
      }
      const signer = await signerOf(o, read);
      // Bitcoin anchor key: flag, else a BitcoinHash160 line in the key directory, else random (as serveridentity).
      bitcoin ??= found.bitcoinHash160
        ? { keyLevel, keyType: parseUintArg(o.btcKeyType, '--btc-key-type', 1), hash160: found.bitcoinHash160 }
        : { keyLevel, keyType: 0, hash160: new Uint8Array(randomBytes(20)) };

      const ac = new AbortController();
      const onSigint = (): void => ac.abort();
      process.once('SIGINT', onSigint);
      const bar = progressBar(wantsJson(cmd));
      let result;
      try {
        result = await createIdentity({
          identitySeeds,
          blockSigningSeed: found.blockSigningSeed,
          mhashSeed,
          bitcoin,
          signer,
          timestampSeconds,
          network: o.network,
          createdAtMs: nowMs(),
          nonceScheme: o.nonceScheme,
          ...(rootNonce ? { rootNonce } : {}),
          ...(managementNonce ? { managementNonce } : {}),
          ...(threads ? { threads } : {}),
          signal: ac.signal,
          onProgress: (chain, a, ms) => bar.update(chain, a, ms),
          onFound: (chain, r) => {
            bar.stop();
            note(`${chain} chain ${r.chainIdHex} after ${r.attempts.toLocaleString('en-US')} attempts in ${(r.elapsedMs / 1000).toFixed(1)} s`);
          },
        });
      } finally {
        bar.stop();
        process.removeListener('SIGINT', onSigint);
      }
      writeBundle(o, result.bundle);
      // Public facts only, so later update commands find the management chain offline.
      if (existsSync(join(o.keys, KEYSTORE_FILE))) {
        writeFileAtomic(join(o.keys, IDENTITY_RECORD_FILE), `${JSON.stringify({ rootChainId: result.rootChainId, managementChainId: result.managementChainId }, null, 2)}\n`, { mode: 0o600 });
      }
      const summary = {
        ...bundleSummary(o.out, result.bundle),
        rootNonceHex: result.rootNonceHex,
        managementNonceHex: result.managementNonceHex,
        blockSigningPublicKeyHex: bytesToHex(publicKeyFromSeed(found.blockSigningSeed)),
        bitcoinKey: { keyLevel: bitcoin.keyLevel, keyType: bitcoin.keyType, hash160Hex: bytesToHex(bitcoin.hash160) },
        matryoshkaHashHex: bytesToHex(matryoshkaHashFromSeed(mhashSeed)),
      };
      emit(cmd, summary, () => [
        humanBundle(o.out, result.bundle),
        `factomd.conf: IdentityChainID = ${result.rootChainId}`,
        '              LocalServerPrivKey = (the block signing key from the keystore; never in a bundle)',
        `              LocalServerPublicKey = ${summary.blockSigningPublicKeyHex}`,
      ].join('\n'));
    });

  // ------------------------------------------------------------------------------------ updates
  registerUpdate(identity, 'coinbase', 'sign a Coinbase Address entry (goes into the root chain)', false,
    (c) => c.requiredOption('--address <FA>', 'public Factoid address that receives the coinbase'),
    (o) => ({ kind: 'coinbase-address', rcdHash: parseCoinbaseAddressArg(o.address ?? '', '--address') }));

  registerUpdate(identity, 'efficiency', 'sign a Server Efficiency entry (exact hundredths: 19.89 → 1989; at most 2 decimals, 0–100)', true,
    (c) => c.requiredOption('--efficiency <percent>', 'percentage kept by the operator, e.g. 50 or 19.89'),
    (o) => ({ kind: 'server-efficiency', efficiency: parseEfficiencyArg(o.efficiency ?? '', '--efficiency') }));

  registerUpdate(identity, 'coinbase-cancel', 'sign a Coinbase Cancel entry for one coinbase descriptor output', true,
    (c) => c.requiredOption('--height <h>', 'descriptor block height').requiredOption('--index <i>', 'output index in the descriptor'),
    (o) => ({ kind: 'coinbase-cancel', descriptorHeight: parseUintArg(o.height ?? '', '--height', 0xffffffff), descriptorIndex: parseUintArg(o.index ?? '', '--index', 0xffffffff) }));

  registerUpdate(identity, 'signing-key', 'sign a New Block Signing Key entry (rotate the key in factomd.conf LocalServerPrivKey)', true,
    (c) => c.requiredOption('--signing-key <seedfile>', '0600 file holding the new block signing private key as 64 hex (LocalServerPrivKey form)'),
    (o) => ({ kind: 'new-block-signing-key', blockSigningPublicKey: publicKeyFromSeed(parseSigningSeedText(readSecretFile(o.signingKey ?? '', '--signing-key'), '--signing-key')) }));

  registerUpdate(identity, 'bitcoin-key', 'sign a New Bitcoin Key entry (anchor key)', true,
    (c) => c.option('--btc-address <address>', 'P2PKH or P2SH Bitcoin address')
      .option('--btc-hash160 <hex>', '20-byte HASH160 instead of an address')
      .option('--btc-key-level <n>', 'key level 0..3', '0')
      .option('--btc-key-type <n>', 'with --btc-hash160: 0 = P2PKH, 1 = P2SH', '0'),
    (o) => {
      const keyLevel = parseUintArg(o.btcKeyLevel ?? '0', '--btc-key-level', 3);
      if (o.btcAddress) return { kind: 'new-bitcoin-key', keyLevel, ...parseBitcoinAddress(o.btcAddress) };
      if (o.btcHash160) return { kind: 'new-bitcoin-key', keyLevel, keyType: parseUintArg(o.btcKeyType ?? '0', '--btc-key-type', 1), hash160: parseHexArg(o.btcHash160, '--btc-hash160', { exact: 20 }) };
      throw new InputError('E_MISSING', 'give --btc-address or --btc-hash160', { field: '--btc-address', exitCode: 2 });
    });

  registerUpdate(identity, 'matryoshka', 'sign a New Matryoshka Hash entry', true,
    (c) => c.option('--mhash-seed-file <file>', '0600 file with the seed (64 hex); the hash is sha256 applied 100000 times')
      .option('--mhash <hex>', 'the 32-byte Matryoshka hash itself'),
    (o) => {
      if (o.mhash) return { kind: 'new-matryoshka-hash', mhash: parseHexArg(o.mhash, '--mhash', { exact: 32 }) };
      if (o.mhashSeedFile) {
        const seed = parseHexArg(readSecretFile(o.mhashSeedFile, '--mhash-seed-file').trim(), '--mhash-seed-file', { exact: 32 });
        return { kind: 'new-matryoshka-hash', mhash: matryoshkaHashFromSeed(seed) };
      }
      throw new InputError('E_MISSING', 'give --mhash-seed-file or --mhash', { field: '--mhash', exitCode: 2 });
    });

  // ------------------------------------------------------------------------------------ show
  identity.command('show')
    .description('read the identity chains from factomd and report the state as factomd applies it (key 1 only, ±12 h, last valid wins), with rejected entries and reasons')
    .argument('<chainId>', 'identity root chain ID (888888…)')
    .requiredOption('--factomd <url>', 'factomd API, e.g. http://localhost:8088')
    .action(async (chainId: string, o: { factomd: string }, cmd: Command) => {
      const root = parseIdentityChainIdArg(chainId, 'CHAINID');
      const r = await showIdentity(createFactomdClient({ url: o.factomd }), bytesToHex(root));
      emit(cmd, {
        ...r.state,
        efficiencyPercent: formatEfficiency(r.state.efficiency.value),
        missingForPromotion: r.missingForPromotion,
        pendingChains: r.pendingChains,
      }, () => formatShow(r));
    });
}

function printPublic(cmd: Command, dir: string, pub: { identityKeys: { level: number; idKey: string; identityKeyHex: string; publicKeyHex: string }[]; blockSigningPublicKeyHex: string; ecAddress?: string }): void {
  emit(cmd, { dir, ...pub }, () => [
    `keystore ${join(dir, KEYSTORE_FILE)}`,
    ...pub.identityKeys.map((k) => `${k.idKey}  (level ${k.level}${k.level === 1 ? ': the key factomd checks' : ''})`),
    `block signing public key  ${pub.blockSigningPublicKeyHex}  (LocalServerPublicKey)`,
    ...(pub.ecAddress ? [`EC address  ${pub.ecAddress}  (fund it with entry credits)`] : []),
  ].join('\n'));
}

