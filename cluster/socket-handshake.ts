import { connect, type Socket } from 'node:net';
import { HandshakeError } from '../lib/errors/index.js';
import { newNonce, NONCE_BYTES, proofOf, PROOF_BYTES, proves } from './shared-secret.js';

/**
 * Mutual authentication of a raw TCP connection before any other byte is
 * read: the server sends a greeting and a nonce, the client answers with its
 * nonce and a proof, and the server proves itself back. Either side drops a
 * peer that fails. What follows on the socket (Comedy's messages) is read
 * only after both proofs passed.
 */
const GREETING = Buffer.from('SOLSTICE/1', 'ascii');
export const HANDSHAKE_TIMEOUT_MS = 5000;

/** Reads exactly `bytes` bytes, leaving what follows in the socket's buffer. */
function readExactly(socket: Socket, bytes: number, deadline: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const finish = (error: Error | undefined, chunk?: Buffer) => {
      socket.off('readable', onReadable);
      socket.off('close', onClose);
      socket.off('error', onError);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(chunk!);
    };
    const onReadable = () => {
      const chunk = socket.read(bytes) as Buffer | null;
      if (chunk && chunk.length === bytes) finish(undefined, chunk);
      else if (chunk) finish(new HandshakeError(`the peer sent ${chunk.length} of ${bytes} handshake bytes and closed`));
    };
    const onClose = () => finish(new HandshakeError('the peer closed the connection during the handshake'));
    const onError = (error: Error) => finish(new HandshakeError(`the connection failed during the handshake: ${error.message}`, { cause: error }));
    const timer = setTimeout(() => finish(new HandshakeError('no handshake before the deadline')), Math.max(0, deadline - Date.now()));
    socket.on('readable', onReadable);
    socket.on('close', onClose);
    socket.on('error', onError);
    onReadable();
  });
}

/** Server side: resolves once the client has proved the secret; rejects (and destroys the socket) otherwise. */
export async function acceptAuthenticated(socket: Socket, secret: Buffer): Promise<void> {
  const deadline = Date.now() + HANDSHAKE_TIMEOUT_MS;
  const serverNonce = newNonce();
  try {
    socket.write(Buffer.concat([GREETING, serverNonce]));
    const answer = await readExactly(socket, NONCE_BYTES + PROOF_BYTES, deadline);
    const clientNonce = answer.subarray(0, NONCE_BYTES);
    if (!proves(secret, 'client', clientNonce, serverNonce, answer.subarray(NONCE_BYTES))) {
      throw new HandshakeError('the client does not know the cluster secret');
    }
    socket.write(proofOf(secret, 'server', serverNonce, clientNonce));
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

/** Client side, on a connected socket: resolves once both sides have proved the secret, by `deadline` (epoch ms). */
export async function proveToServer(socket: Socket, secret: Buffer, deadline = Date.now() + HANDSHAKE_TIMEOUT_MS): Promise<void> {
  try {
    const greeting = await readExactly(socket, GREETING.length + NONCE_BYTES, deadline);
    if (!greeting.subarray(0, GREETING.length).equals(GREETING)) throw new HandshakeError('the server is not a Solstice-node host agent or actor');
    const serverNonce = greeting.subarray(GREETING.length);
    const clientNonce = newNonce();
    socket.write(Buffer.concat([clientNonce, proofOf(secret, 'client', clientNonce, serverNonce)]));
    const proof = await readExactly(socket, PROOF_BYTES, deadline);
    if (!proves(secret, 'server', serverNonce, clientNonce, proof)) throw new HandshakeError('the server does not know the cluster secret');
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

/**
 * Connects to `host:port` and authenticates both sides, all within
 * `timeoutMs`; past it the socket is destroyed, so a host that drops packets
 * leaves no connection attempt behind.
 */
export async function connectAuthenticated(host: string, port: number, secret: Buffer, timeoutMs = HANDSHAKE_TIMEOUT_MS): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  const socket = connect({ host, port });
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
    timer = setTimeout(() => socket.destroy(new HandshakeError(`no connection to ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
  }).finally(() => {
    clearTimeout(timer);
    socket.removeAllListeners('error');
  });
  await proveToServer(socket, secret, deadline);
  return socket;
}
