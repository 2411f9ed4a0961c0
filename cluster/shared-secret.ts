import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ClusterSecretError } from '../lib/errors/index.js';

/**
 * The secret that every host agent, actor process and job of a cluster
 * shares. Peers prove they know it with HMAC-SHA256 over fresh nonces from
 * both sides (challenge and response); the secret itself never crosses the
 * network.
 */
export const MIN_SECRET_BYTES = 16;
export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;

/** Environment variable naming the secret file; host agents set it for the actor processes they start. */
export const SECRET_FILE_ENV = 'SOLSTICE_SECRET_FILE';

/** Who proves: the side that connects, or the side that accepts. */
export type HandshakeRole = 'client' | 'server';

export async function readSecretFile(path: string): Promise<Buffer> {
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (error) {
    throw new ClusterSecretError(path, `Cannot read the cluster secret from ${path}: ${(error as Error).message}`, { cause: error });
  }
  return checkedSecret(content, path);
}

function checkedSecret(content: Buffer, path: string): Buffer {
  const secret = Buffer.from(content.toString('utf8').trim(), 'utf8');
  if (secret.length < MIN_SECRET_BYTES) {
    throw new ClusterSecretError(path, `The cluster secret in ${path} has ${secret.length} bytes; it needs at least ${MIN_SECRET_BYTES} (e.g. openssl rand -hex 32 > ${path})`);
  }
  return secret;
}

let processSecret: Buffer | undefined;

/** Sets the secret this process proves and checks (the `start` command, from cluster.json). */
export function setClusterSecret(secret: Buffer): void {
  processSecret = secret;
}

/** The secret of this process: the one set, else the file that SOLSTICE_SECRET_FILE names; undefined outside a cluster. */
export function clusterSecret(): Buffer | undefined {
  if (!processSecret && process.env[SECRET_FILE_ENV]) {
    const path = process.env[SECRET_FILE_ENV];
    let content: Buffer;
    try {
      content = readFileSync(path);
    } catch (error) {
      throw new ClusterSecretError(path, `Cannot read the cluster secret from ${path} (${SECRET_FILE_ENV}): ${(error as Error).message}`, { cause: error });
    }
    processSecret = checkedSecret(content, path);
  }
  return processSecret;
}

/** The cluster secret, or an error saying that a connection to `peer` needs one. */
export function requireClusterSecret(peer: string): Buffer {
  const secret = clusterSecret();
  if (!secret) throw new ClusterSecretError(undefined, `Connecting to ${peer} needs the cluster secret; this process has none (start jobs on a cluster with 'solstice-node start --hosts cluster.json')`);
  return secret;
}

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/** What `role` sends to prove it knows the secret: bound to both nonces, its own first, and to its role. */
export function proofOf(secret: Buffer, role: HandshakeRole, ownNonce: Buffer, peerNonce: Buffer): Buffer {
  return createHmac('sha256', secret).update(role).update(ownNonce).update(peerNonce).digest();
}

export function proves(secret: Buffer, role: HandshakeRole, peerNonce: Buffer, ownNonce: Buffer, proof: Buffer): boolean {
  const expected = proofOf(secret, role, peerNonce, ownNonce);
  return proof.length === expected.length && timingSafeEqual(proof, expected);
}
