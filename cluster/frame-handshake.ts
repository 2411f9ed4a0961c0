import { HandshakeError } from '../lib/errors/index.js';
import { newNonce, proofOf, proves } from './shared-secret.js';

/**
 * The challenge-response of socket-handshake.ts, carried in data-plane frame
 * headers: the server's `hello` with its nonce, the client's `auth` with its
 * nonce and proof, the server's `welcome` with its proof. Each side feeds the
 * headers it receives to its half until the handshake has passed.
 */
type Header = Record<string, unknown>;

export class FrameHandshakeServer {
  private readonly serverNonce = newNonce();

  constructor(private readonly secret: Buffer) {}

  /** The first frame the server sends. */
  hello(): Header {
    return { op: 'hello', nonce: this.serverNonce.toString('hex') };
  }

  /** The `welcome` to send if the client's header proves the secret; undefined if it does not. */
  accept(header: Header): Header | undefined {
    const { op, nonce, proof } = header;
    if (op !== 'auth' || typeof nonce !== 'string' || typeof proof !== 'string') return undefined;
    const clientNonce = Buffer.from(nonce, 'hex');
    if (!proves(this.secret, 'client', clientNonce, this.serverNonce, Buffer.from(proof, 'hex'))) return undefined;
    return { op: 'welcome', proof: proofOf(this.secret, 'server', this.serverNonce, clientNonce).toString('hex') };
  }
}

export class FrameHandshakeClient {
  private readonly clientNonce = newNonce();
  private serverNonce: Buffer | undefined;

  constructor(private readonly secret: Buffer) {}

  /**
   * Takes the server's next header: answers `hello` with the `auth` header to
   * send, resolves to 'passed' on a `welcome` that proves the secret, and
   * throws on anything else.
   */
  receive(header: Header): Header | 'passed' {
    if (!this.serverNonce && header['op'] === 'hello' && typeof header['nonce'] === 'string') {
      this.serverNonce = Buffer.from(header['nonce'], 'hex');
      const proof = proofOf(this.secret, 'client', this.clientNonce, this.serverNonce);
      return { op: 'auth', nonce: this.clientNonce.toString('hex'), proof: proof.toString('hex') };
    }
    if (this.serverNonce && header['op'] === 'welcome' && typeof header['proof'] === 'string' &&
      proves(this.secret, 'server', this.serverNonce, this.clientNonce, Buffer.from(header['proof'], 'hex'))) {
      return 'passed';
    }
    throw new HandshakeError('the payload server did not prove the cluster secret');
  }
}
