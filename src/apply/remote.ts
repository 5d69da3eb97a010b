import { Client, type ConnectConfig } from 'ssh2';
import { AnoguardError } from '../errors.js';

/**
 * An SSH session to one host, with the host key pinned from the topology: a host that presents any
 * other key is refused before authentication, so a man in the middle never sees our key or files.
 */

export interface RemoteTarget {
  host: string;
  port: number;
  username: string;
  /** `ssh-ed25519 AAAA…` from the topology. */
  hostKey: string;
  privateKey?: string;
  /** Path of an ssh-agent socket (SSH_AUTH_SOCK) when no key file is given. */
  agent?: string;
  timeoutMs?: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Remote {
  exec(command: string, stdin?: string | Uint8Array, timeoutMs?: number): Promise<ExecResult>;
  close(): void;
}

/** The key blob of an OpenSSH public key line (`type base64 [comment]`). */
export function hostKeyBlob(line: string): Buffer {
  const b64 = line.trim().split(/\s+/)[1];
  if (!b64) throw new AnoguardError('E_HOST_KEY', 'not an OpenSSH public key line', { field: 'ssh.hostKey' });
  return Buffer.from(b64, 'base64');
}

export function connectRemote(target: RemoteTarget): Promise<Remote> {
  const pinned = hostKeyBlob(target.hostKey);
  let presented: Buffer | undefined;
  return new Promise((resolve, reject) => {
    const conn = new Client();
    const cfg: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.username,
      readyTimeout: target.timeoutMs ?? 10_000,
      hostVerifier: (key: Buffer) => {
        presented = key;
        return key.equals(pinned);
      },
      ...(target.privateKey !== undefined ? { privateKey: target.privateKey } : {}),
      ...(target.agent !== undefined ? { agent: target.agent } : {}),
    };
    conn.once('ready', () => resolve(wrap(conn)));
    conn.once('error', (e: Error & { level?: string }) => {
      conn.end();
      if (presented && !presented.equals(pinned)) {
        reject(new AnoguardError('E_HOST_KEY_MISMATCH', `host key of ${target.host}:${target.port} differs from the topology's; refusing to connect`, { field: 'ssh.hostKey', cause: e }));
      } else {
        reject(new AnoguardError('E_SSH', `cannot connect to ${target.username}@${target.host}:${target.port}: ${e.message}`, { field: 'host', cause: e }));
      }
    });
    conn.connect(cfg);
  });
}

function wrap(conn: Client): Remote {
  return {
    exec(command, stdin, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        conn.exec(command, (err, stream) => {
          if (err) { reject(new AnoguardError('E_SSH', `remote command failed to start: ${err.message}`, { cause: err })); return; }
          let stdout = '';
          let stderr = '';
          const timer = setTimeout(() => {
            stream.close();
            reject(new AnoguardError('E_SSH_TIMEOUT', `remote command timed out after ${timeoutMs} ms`, { field: 'host' }));
          }, timeoutMs);
          stream.on('data', (d: Buffer) => { stdout += d.toString(); });
          stream.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
          stream.on('close', (code: number | null) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, stdout, stderr });
          });
          stream.end(stdin ?? '');
        });
      });
    },
    close() {
      conn.end();
    },
  };
}
