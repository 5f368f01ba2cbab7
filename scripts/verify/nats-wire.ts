/**
 * Just enough of the NATS client protocol to prove things against a real nats-server: connect with a
 * user and password, publish, and make requests (JetStream's API is request/reply over subjects).
 * https://docs.nats.io/reference/reference-protocols/nats-protocol
 */
import * as net from 'node:net';

export class NatsWire {
  private buffer = '';
  private readonly waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  private readonly payloads = new Map<string, (payload: string) => void>();
  private sid = 0;
  private pending?: { subject: string; sid: string; size: number };

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
  }

  /** Connects and authenticates; rejects with the server's error line (e.g. Authorization Violation). */
  static async connect(port: number, user: string, pass: string, timeoutMs = 5000): Promise<NatsWire> {
    const socket = net.connect(port, '127.0.0.1');
    const wire = new NatsWire(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    await wire.line((l) => l.startsWith('INFO'), timeoutMs);
    socket.write(`CONNECT ${JSON.stringify({ user, pass, verbose: false, pedantic: false, headers: false, protocol: 1 })}\r\nPING\r\n`);
    const answer = await wire.line((l) => l === 'PONG' || l.startsWith('-ERR'), timeoutMs);
    if (answer !== 'PONG') {
      socket.destroy();
      throw new Error(answer);
    }
    return wire;
  }

  /** A request: publish with a reply subject and wait for the single answer. */
  async request(subject: string, payload: string, timeoutMs = 5000): Promise<string> {
    const inbox = `_INBOX.verify.${++this.sid}`;
    const sid = String(this.sid);
    const answer = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${subject} within ${timeoutMs} ms`)), timeoutMs);
      this.payloads.set(sid, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
    });
    this.socket.write(`SUB ${inbox} ${sid}\r\nUNSUB ${sid} 1\r\nPUB ${subject} ${inbox} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`);
    return answer;
  }

  /**
   * Publishes to `subject` (or subscribes to it): `ok`, or the server's error line (a
   * `Permissions Violation`), which the server sends before the answer to the PING that follows.
   */
  async allowed(op: 'PUB' | 'SUB', subject: string, timeoutMs = 5000): Promise<string> {
    this.socket.write(op === 'PUB' ? `PUB ${subject} 0\r\n\r\nPING\r\n` : `SUB ${subject} ${++this.sid}\r\nPING\r\n`);
    const answer = await this.line((l) => l === 'PONG' || l.startsWith('-ERR'), timeoutMs);
    if (answer !== 'PONG') await this.line((l) => l === 'PONG', timeoutMs).catch(() => undefined);
    return answer === 'PONG' ? 'ok' : answer;
  }

  close(): void {
    this.socket.destroy();
  }

  private line(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for the server')), timeoutMs);
      this.waiters.push({
        match,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      if (this.pending) {
        if (Buffer.byteLength(this.buffer) < this.pending.size + 2) return;
        const payload = this.buffer.slice(0, this.pending.size);
        this.buffer = this.buffer.slice(this.pending.size + 2);
        this.payloads.get(this.pending.sid)?.(payload);
        this.payloads.delete(this.pending.sid);
        this.pending = undefined;
        continue;
      }
      const end = this.buffer.indexOf('\r\n');
      if (end < 0) return;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      if (line === 'PING') {
        this.socket.write('PONG\r\n');
        continue;
      }
      // `MSG <subject> <sid> [reply] <size>`; nats-server 2.9 writes an empty reply as a second space
      // when it delivers its own JetStream answers to a client on the same server.
      const msg = /^MSG (\S+) (\S+)(?: +\S+)? +(\d+)$/.exec(line);
      if (msg) {
        this.pending = { subject: msg[1]!, sid: msg[2]!, size: Number(msg[3]) };
        continue;
      }
      const i = this.waiters.findIndex((w) => w.match(line));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(line);
    }
  }
}
