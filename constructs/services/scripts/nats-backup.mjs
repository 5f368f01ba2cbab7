#!/usr/bin/env node
// nats-backup.mjs: backs up and restores JetStream streams through the JetStream API
// ($JS.API.STREAM.SNAPSHOT / RESTORE), the NATS server's own snapshot and restore, over the plain
// NATS protocol (no dependency: node:net and node:tls only).
//
//   node nats-backup.mjs backup  <dir>             every stream: <dir>/<stream>/backup.json (its config and
//                                                  state) and <dir>/<stream>/stream.tar.s2 (the server's
//                                                  snapshot, with the consumers' state)
//   node nats-backup.mjs restore <dir> [stream...]  each stream of <dir> (or those named) into the server,
//                                                  which must not have it; prints its message count
//
// Connection: NATS_URL (nats://host:4222, or tls://host:4222 for a server that requires TLS: the
// connection is upgraded after the server's INFO and the server verified by name against the CA in
// NATS_CA_FILE, or the system's CAs), NATS_USER, and the password from NATS_PASSWORD_FILE (read
// from the file, never on the command line). Exits non-zero on any error the server reports (a
// truncated or corrupt snapshot: "restore failed: s2: corrupt input").
import { mkdirSync, readFileSync, readdirSync, writeFileSync, createWriteStream, statSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';

/** @typedef {{ subject: string, reply: string | undefined, headers: string, data: Buffer }} Message */
/** @typedef {{ onMessage: (m: Message) => void, reject?: (e: Error) => void }} Handler */

const CHUNK = 128 * 1024;
const TIMEOUT_MS = Number(process.env.NATS_TIMEOUT_MS ?? 30000);

export class Nats {
  /** @param {import('node:net').Socket} socket */
  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    /** @type {{ resolve: (line: string) => void, reject: (e: Error) => void }[]} */
    this.waiters = [];
    /** @type {Map<string, Handler>} */
    this.handlers = new Map();
    this.sid = 0;
    this.inbox = `_INBOX.${randomBytes(8).toString('hex')}`;
    /** @type {Error | undefined} */
    this.closed = undefined;
    this.attach(socket);
  }

  /** Reads from `socket` (the TCP connection, or the TLS connection over it after the upgrade). */
  attach(/** @type {import('node:net').Socket} */ socket) {
    this.socket = socket;
    socket.on('data', (/** @type {Buffer} */ d) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.pump();
    });
    socket.on('error', (/** @type {Error} */ e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /**
   * TLS over the open connection, after the server's INFO (the NATS protocol's order), verifying the
   * server by the URL's host name against `caFile` (or the system's CAs).
   * @param {string} host
   * @param {string | undefined} caFile
   */
  async upgrade(host, caFile) {
    const raw = this.socket;
    raw.removeAllListeners('data').removeAllListeners('error').removeAllListeners('close');
    const secure = tlsConnect({ socket: raw, servername: host, ...(caFile ? { ca: readFileSync(caFile) } : {}) });
    await new Promise((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.attach(secure);
  }

  /**
   * @param {string} url
   * @param {string | undefined} user
   * @param {string | undefined} password
   */
  static async open(url, user, password) {
    const u = new URL(url);
    const socket = connect({ host: u.hostname, port: Number(u.port || 4222) });
    const nc = new Nats(socket);
    const info = await nc.line();
    if (!info.startsWith('INFO ')) throw new Error(`not a NATS server: ${info}`);
    const tls = u.protocol === 'tls:' || JSON.parse(info.slice(5)).tls_required === true;
    if (tls) await nc.upgrade(u.hostname, process.env.NATS_CA_FILE);
    const opts = { verbose: false, pedantic: false, headers: true, no_responders: true, lang: 'node', version: 'platform-backup' };
    if (user) Object.assign(opts, { user, pass: password });
    if (tls) Object.assign(opts, { tls_required: true });
    nc.write(`CONNECT ${JSON.stringify(opts)}\r\nPING\r\n`);
    const answer = await nc.line();
    if (!answer.startsWith('PONG')) throw new Error(`connect refused: ${answer}`);
    nc.subscribe(`${nc.inbox}.>`);
    return nc;
  }

  /** @param {Error} e */
  fail(e) {
    if (this.closed) return;
    this.closed = e;
    for (const w of this.waiters.splice(0)) w.reject(e);
    for (const h of this.handlers.values()) h.reject?.(e);
  }

  /** @param {string} s */
  write(s) {
    this.socket.write(s);
  }

  /** The next protocol line, before the connection is in message mode. @returns {Promise<string>} */
  line() {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.pump();
    });
  }

  pump() {
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString();
      const [op, ...args] = head.split(' ');
      if (op === 'MSG' || op === 'HMSG') {
        const total = Number(args[args.length - 1]);
        if (this.buffer.length < end + 2 + total + 2) return;
        const raw = this.buffer.subarray(end + 2, end + 2 + total);
        this.buffer = this.buffer.subarray(end + 2 + total + 2);
        const subject = args[0] ?? '';
        const hasReply = op === 'MSG' ? args.length === 4 : args.length === 5;
        const reply = hasReply ? args[2] : undefined;
        const headerBytes = op === 'HMSG' ? Number(args[args.length - 2]) : 0;
        const headers = raw.subarray(0, headerBytes).toString();
        const data = Buffer.from(raw.subarray(headerBytes));
        this.deliver({ subject, reply, headers, data });
        continue;
      }
      this.buffer = this.buffer.subarray(end + 2);
      if (op === 'PING') {
        this.write('PONG\r\n');
        continue;
      }
      if (op === '-ERR') {
        this.fail(new Error(`server error: ${head}`));
        return;
      }
      if (op === '+OK' || (op === 'PONG' && this.waiters.length === 0)) continue;
      const w = this.waiters.shift();
      if (w) w.resolve(head);
    }
  }

  /** @param {Message} msg */
  deliver(msg) {
    const h =
      this.handlers.get(msg.subject) ??
      [...this.handlers.entries()].find(([k]) => k.endsWith('>') && msg.subject.startsWith(k.slice(0, -1)))?.[1];
    if (h) h.onMessage(msg);
  }

  /** @param {string} subject */
  subscribe(subject) {
    this.write(`SUB ${subject} ${++this.sid}\r\n`);
  }

  /**
   * @param {string} subject
   * @param {Buffer | string} [data]
   * @param {string} [reply]
   */
  publish(subject, data = Buffer.alloc(0), reply) {
    const body = Buffer.isBuffer(data) ? data : Buffer.from(data);
    this.socket.write(
      Buffer.concat([Buffer.from(`PUB ${subject}${reply ? ` ${reply}` : ''} ${body.length}\r\n`), body, Buffer.from('\r\n')]),
    );
  }

  /** Handles every message on `subject` until removed. */
  /**
   * @param {string} subject
   * @param {(m: Message) => void} onMessage
   * @param {(e: Error) => void} [reject]
   */
  on(subject, onMessage, reject) {
    this.handlers.set(subject, { onMessage, reject });
    return () => this.handlers.delete(subject);
  }

  /**
   * @param {string} subject
   * @param {Buffer | string} [data]
   * @returns {Promise<Message>}
   */
  request(subject, data = '') {
    const reply = `${this.inbox}.${randomBytes(6).toString('hex')}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no answer from ${subject} in ${TIMEOUT_MS} ms`));
      }, TIMEOUT_MS);
      const off = this.on(
        reply,
        (msg) => {
          clearTimeout(timer);
          off();
          if (/^NATS\/1\.0 503/.test(msg.headers)) reject(new Error(`no responders for ${subject} (is JetStream on?)`));
          else resolve(msg);
        },
        (e) => {
          clearTimeout(timer);
          reject(e);
        },
      );
      this.publish(subject, data, reply);
    });
  }

  /**
   * @param {string} what
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async api(what, body) {
    const msg = await this.request(`$JS.API.${what}`, body === undefined ? '' : JSON.stringify(body));
    const answer = JSON.parse(msg.data.toString() || '{}');
    if (answer.error)
      throw new Error(
        `${what}: ${answer.error.description ?? JSON.stringify(answer.error)} (code ${answer.error.err_code ?? answer.error.code})`,
      );
    return answer;
  }

  close() {
    this.closed = new Error('closed');
    this.socket.end();
  }
}

/** @param {Nats} nc @returns {Promise<string[]>} */
async function streamNames(nc) {
  /** @type {string[]} */
  const names = [];
  for (let offset = 0; ;) {
    const page = await nc.api('STREAM.NAMES', { offset });
    names.push(...(page.streams ?? []));
    offset += (page.streams ?? []).length;
    if ((page.streams ?? []).length === 0 || offset >= page.total) return names;
  }
}

/**
 * @param {Nats} nc
 * @param {string} stream
 * @param {string} dir
 */
async function backupStream(nc, stream, dir) {
  mkdirSync(dir, { recursive: true });
  const deliver = `${nc.inbox}.snapshot.${randomBytes(4).toString('hex')}`;
  const file = join(dir, 'stream.tar.s2');
  const out = createWriteStream(file);
  let bytes = 0;
  let chunks = 0;
  const done = /** @type {Promise<void>} */ (
    new Promise((resolve, reject) => {
      /** @type {ReturnType<typeof setTimeout> | undefined} */
      let idle;
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => reject(new Error(`${stream}: the snapshot stalled for ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      };
      arm();
      const off = nc.on(
        deliver,
        (msg) => {
          arm();
          const status = /^NATS\/1\.0 (\d{3})/.exec(msg.headers)?.[1];
          if (status && status !== '100' && status !== '204') {
            clearTimeout(idle);
            off();
            reject(new Error(`${stream}: the server ended the snapshot with status ${msg.headers.trim()}`));
            return;
          }
          if (msg.data.length === 0 && !msg.reply) {
            // The end of the snapshot.
            clearTimeout(idle);
            off();
            out.end(() => resolve());
            return;
          }
          out.write(msg.data);
          bytes += msg.data.length;
          chunks++;
          // Flow control: each chunk's reply is its acknowledgement.
          if (msg.reply) nc.publish(msg.reply);
        },
        (e) => {
          clearTimeout(idle);
          reject(e);
        },
      );
    })
  );
  const meta = await nc.api(`STREAM.SNAPSHOT.${stream}`, { deliver_subject: deliver, jsck: true, chunk_size: CHUNK });
  await done;
  if (chunks === 0) throw new Error(`${stream}: the snapshot is empty`);
  writeFileSync(join(dir, 'backup.json'), `${JSON.stringify({ config: meta.config, state: meta.state }, null, 2)}\n`);
  process.stderr.write(`nats-backup: ${stream}: ${meta.state?.messages ?? '?'} messages, ${bytes} bytes in ${chunks} chunks\n`);
  return meta.state?.messages ?? 0;
}

/**
 * @param {Nats} nc
 * @param {string} stream
 * @param {string} dir
 */
async function restoreStream(nc, stream, dir) {
  const meta = JSON.parse(readFileSync(join(dir, 'backup.json'), 'utf8'));
  const data = readFileSync(join(dir, 'stream.tar.s2'));
  const started = await nc.api(`STREAM.RESTORE.${stream}`, { config: meta.config, state: meta.state });
  const subject = started.deliver_subject;
  if (!subject) throw new Error(`${stream}: the server gave no subject to restore to`);
  for (let at = 0; at < data.length; at += CHUNK) {
    const ack = await nc.request(subject, data.subarray(at, at + CHUNK));
    if (ack.data.length > 0) {
      const answer = JSON.parse(ack.data.toString());
      if (answer.error) throw new Error(`${stream}: restore failed: ${answer.error.description}`);
    }
  }
  const end = await nc.request(subject, '');
  const answer = JSON.parse(end.data.toString() || '{}');
  if (answer.error) throw new Error(`${stream}: ${answer.error.description} (code ${answer.error.err_code ?? answer.error.code})`);
  const messages = answer.state?.messages;
  if (messages !== meta.state?.messages)
    throw new Error(`${stream}: restored ${messages} messages, the backup holds ${meta.state?.messages}`);
  process.stdout.write(`nats-backup: ${stream}: restored ${messages} messages\n`);
  return messages;
}

async function main() {
  const [command, dir, ...only] = process.argv.slice(2);
  if (!dir || (command !== 'backup' && command !== 'restore')) {
    process.stderr.write('usage: nats-backup.mjs backup <dir> | restore <dir> [stream...]\n');
    process.exit(2);
  }
  const password = process.env.NATS_PASSWORD_FILE ? readFileSync(process.env.NATS_PASSWORD_FILE, 'utf8').trim() : undefined;
  const nc = await Nats.open(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', process.env.NATS_USER, password);
  try {
    if (command === 'backup') {
      const names = await streamNames(nc);
      for (const stream of names) await backupStream(nc, stream, join(dir, stream));
      writeFileSync(join(dir, 'streams.txt'), names.map((n) => `${n}\n`).join(''));
      process.stderr.write(`nats-backup: ${names.length} stream(s) saved\n`);
    } else {
      const streams = only.length ? only : readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory());
      if (streams.length === 0) throw new Error(`no stream in ${dir}`);
      for (const stream of streams) await restoreStream(nc, stream, join(dir, stream));
    }
  } finally {
    nc.close();
  }
}

// Run as a program (imported, it only exports the client).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(`nats-backup: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
