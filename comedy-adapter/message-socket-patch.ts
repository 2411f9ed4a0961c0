import { EventEmitter } from 'node:events';
import { MessageSocket } from './internals.js';

/**
 * Fixes Comedy 2.1.7's framing of remote-mode messages, in every process
 * that speaks it (the job, host agents, their actor processes):
 * - a frame's length was the JSON text's length in characters, not in bytes,
 *   so a message with non-ASCII text (a file name, an error message) was cut
 *   short and broke the stream; it is now the UTF-8 byte length;
 * - reassembly concatenated every received chunk into the bytes kept so far,
 *   quadratic in a large message's size; chunks are now kept in a list and
 *   joined once a whole frame is there.
 * - every 'message' listener added its own 'data' listener to the socket, so
 *   a socket read with `once('message')` and then handed to Comedy's bus
 *   parsed each chunk twice; the socket is now read once however many
 *   listeners there are.
 * Both ends of every remote-mode connection are Solstice-node processes, so
 * both frame the same way.
 */
interface MessageSocketInstance {
  messageType: number;
  socket: { emit(event: string, ...args: unknown[]): boolean };
  emit(event: string, ...args: unknown[]): boolean;
  deliver(type: number, body: Buffer): void;
  chunks?: Buffer[];
  buffered?: number;
  incomingDataHandler: (chunk: Buffer) => void;
  reading?: boolean;
}

const HEAD_BYTES = 5;

export function patchMessageSocketFraming(): void {
  MessageSocket.prototype['makePacket'] = function makePacket(this: MessageSocketInstance, message: unknown): Buffer {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    const packet = Buffer.allocUnsafe(HEAD_BYTES + body.length);
    packet.writeUInt8(this.messageType, 0);
    packet.writeUInt32BE(body.length, 1);
    body.copy(packet, HEAD_BYTES);
    return packet;
  };

  const read = (socket: MessageSocketInstance & { socket: { on(event: string, listener: (chunk: Buffer) => void): void } }) => {
    if (socket.reading) return;
    socket.reading = true;
    socket.socket.on('data', socket.incomingDataHandler);
  };
  const on = MessageSocket.prototype['on'] as (this: unknown, event: string, listener: unknown) => void;
  const once = MessageSocket.prototype['once'] as (this: unknown, event: string, listener: unknown) => void;
  for (const [name, original, register] of [['on', on, EventEmitter.prototype.on], ['once', once, EventEmitter.prototype.once]] as const) {
    MessageSocket.prototype[name] = function addListener(this: MessageSocketInstance, event: string, listener: (...args: unknown[]) => void) {
      if (event !== 'message') return original.call(this, event, listener);
      register.call(this as unknown as EventEmitter, event, listener);
      read(this as Parameters<typeof read>[0]);
      return this;
    };
  }
  for (const name of ['removeListener', 'removeAllListeners']) {
    const original = MessageSocket.prototype[name] as (this: MessageSocketInstance, ...args: unknown[]) => unknown;
    MessageSocket.prototype[name] = function removeListeners(this: MessageSocketInstance, ...args: unknown[]) {
      const result = original.apply(this, args);
      if (args[0] === 'message' && (this as unknown as EventEmitter).listenerCount('message') === 0) this.reading = false;
      return result;
    };
  }

  MessageSocket.prototype['_handleIncomingData'] = function handleIncomingData(this: MessageSocketInstance, chunk: Buffer): void {
    let chunks = this.chunks ?? [];
    let buffered = (this.buffered ?? 0) + chunk.length;
    chunks.push(chunk);
    while (buffered >= HEAD_BYTES) {
      if (chunks[0]!.length < HEAD_BYTES) chunks = [Buffer.concat(chunks)];
      const frameBytes = HEAD_BYTES + chunks[0]!.readUInt32BE(1);
      if (buffered < frameBytes) break;
      const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const rest = data.subarray(frameBytes);
      chunks = rest.length > 0 ? [rest] : [];
      buffered = rest.length;
      this.chunks = chunks;
      this.buffered = buffered;
      this.deliver(data.readUInt8(0), data.subarray(HEAD_BYTES, frameBytes));
    }
    this.chunks = chunks;
    this.buffered = buffered;
  };

  MessageSocket.prototype['deliver'] = function deliver(this: MessageSocketInstance, type: number, body: Buffer): void {
    if (type !== this.messageType) {
      this.socket.emit('error', new Error(`Received unexpected message type: ${type}`));
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(body.toString('utf8'));
    } catch (error) {
      this.socket.emit('error', new Error(`Incoming message parsing failed: ${(error as Error).message}`));
      return;
    }
    this.emit('message', message);
  };
}
