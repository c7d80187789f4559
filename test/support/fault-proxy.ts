// A TCP proxy between a server and its MongoDB (FerretDB) that injects the faults a database
// process shows, at moments a test chooses: answers withheld on the connections that carry
// operations while the driver's monitor keeps being answered (a database stuck on its work, or a
// request the pool will wait on for ever), and every connection closed at once (a database that
// exits), in the order the test needs. Everything else is passed through as it comes.
//
// It reads just enough of the wire protocol to tell the driver's monitoring connections (which only
// ever send `hello`) from its pool's connections (which send the operations), so that a test can
// time a fault against the monitor's heartbeat.

import net from 'node:net';

/** The commands a driver's monitor sends: the handshake and every heartbeat are one of them. */
const HELLO_COMMANDS: ReadonlySet<string> = new Set(['hello', 'ismaster', 'isMaster']);
const OP_QUERY = 2004;
const OP_MSG = 2013;
const HEADER_BYTES = 16;

interface ProxiedConnection {
  client: net.Socket;
  database: net.Socket;
  /** True while every command it carried was a hello: the driver's monitor (or a pool connection not used yet). */
  monitor: boolean;
  /** Hellos it carried: the handshake, then (on the monitor's connection only) one per heartbeat. */
  hellos: number;
  /** Client bytes not yet parsed into whole messages. */
  pending: Buffer;
  /** Database answers kept back while answers are held. */
  held: Buffer[];
  /** When the database last answered on it (ms since epoch). */
  lastAnswerAt: number | undefined;
  closed: boolean;
}

export class FaultProxy {
  readonly #server: net.Server;
  readonly #target: { host: string; port: number };
  readonly #connections = new Set<ProxiedConnection>();
  #holding = false;

  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#server = net.createServer((client) => this.#accept(client));
  }

  get port(): number {
    const address = this.#server.address();
    if (!address || typeof address !== 'object') throw new Error('the proxy is not listening');
    return address.port;
  }

  get connectionString(): string {
    return `mongodb://127.0.0.1:${this.port}/`;
  }

  /** Open connections, by kind. */
  counts(): { monitor: number; operations: number } {
    const open = [...this.#connections].filter((connection) => !connection.closed);
    const monitor = open.filter((connection) => connection.monitor).length;
    return { monitor, operations: open.length - monitor };
  }

  /** Database answers kept back so far on operation connections: requests the database has not answered. */
  heldAnswers(): number {
    return [...this.#connections].reduce((sum, connection) => sum + connection.held.length, 0);
  }

  /** How long ago the database last answered a heartbeat of the driver's monitor (Infinity when never). */
  msSinceHeartbeat(): number {
    const times = [...this.#connections]
      .filter((connection) => isHeartbeating(connection) && connection.lastAnswerAt !== undefined)
      .map((connection) => connection.lastAnswerAt as number);
    return times.length === 0 ? Infinity : Date.now() - Math.max(...times);
  }

  /**
   * From now on the database's answers on operation connections are kept back; monitoring
   * connections are still answered, so the driver keeps the server selectable and its requests wait.
   */
  holdAnswers(): void {
    this.#holding = true;
  }

  /** Passes the answers kept back on, and every later one as it comes. */
  releaseAnswers(): void {
    this.#holding = false;
    for (const connection of this.#connections) {
      for (const chunk of connection.held.splice(0)) connection.client.write(chunk);
    }
  }

  /**
   * Closes every connection at once, as a database process that exits does (a FIN on each, answers
   * kept back dropped), the monitor's first. New connections are accepted as before.
   */
  closeAllConnections(): void {
    this.#holding = false;
    const connections = [...this.#connections];
    const ordered = [...connections.filter(isHeartbeating), ...connections.filter((c) => !isHeartbeating(c))];
    for (const connection of ordered) this.#close(connection);
  }

  async stop(): Promise<void> {
    for (const connection of this.#connections) {
      connection.client.destroy();
      connection.database.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    const database = net.connect(this.#target.port, this.#target.host);
    const connection: ProxiedConnection = { client, database, monitor: true, hellos: 0, pending: Buffer.alloc(0), held: [], lastAnswerAt: undefined, closed: false };
    this.#connections.add(connection);
    client.on('data', (chunk: Buffer) => {
      if (connection.closed) return;
      this.#inspect(connection, chunk);
      database.write(chunk);
    });
    database.on('data', (chunk: Buffer) => {
      if (connection.closed) return;
      if (this.#holding && !connection.monitor) {
        connection.held.push(chunk);
        return;
      }
      connection.lastAnswerAt = Date.now();
      client.write(chunk);
    });
    const gone = () => {
      this.#close(connection);
      this.#connections.delete(connection);
    };
    client.on('close', gone);
    database.on('close', gone);
    client.on('error', () => undefined);
    database.on('error', () => undefined);
  }

  #close(connection: ProxiedConnection): void {
    if (connection.closed) return;
    connection.closed = true;
    connection.held = [];
    // end(): a FIN, as the kernel sends for a process that closes its sockets or exits.
    connection.client.end();
    connection.database.destroy();
  }

  /** Marks a connection as an operation connection once it sends anything but a hello. */
  #inspect(connection: ProxiedConnection, chunk: Buffer): void {
    if (!connection.monitor) return;
    let buffer = Buffer.concat([connection.pending, chunk]);
    while (buffer.length >= 4) {
      const length = buffer.readInt32LE(0);
      if (length < HEADER_BYTES) {
        connection.monitor = false;
        return;
      }
      if (buffer.length < length) break;
      const name = commandName(buffer.subarray(0, length));
      if (name === undefined || !HELLO_COMMANDS.has(name)) {
        connection.monitor = false;
        connection.pending = Buffer.alloc(0);
        return;
      }
      connection.hellos++;
      buffer = buffer.subarray(length);
    }
    connection.pending = Buffer.from(buffer);
  }
}

/** The driver's monitor: hellos only, and more than the handshake (a pool connection not used yet sent only that). */
function isHeartbeating(connection: ProxiedConnection): boolean {
  return connection.monitor && connection.hellos > 1;
}

/** The command a whole OP_MSG or OP_QUERY message carries: the first key of its command document. */
function commandName(message: Buffer): string | undefined {
  const opCode = message.readInt32LE(12);
  let document: number;
  if (opCode === OP_MSG) {
    // flagBits (4), then section kind 0 (1 byte) and its document.
    if (message[HEADER_BYTES + 4] !== 0) return undefined;
    document = HEADER_BYTES + 5;
  } else if (opCode === OP_QUERY) {
    // flags (4), full collection name (C string), numberToSkip and numberToReturn (4 + 4), query.
    const nameEnd = message.indexOf(0, HEADER_BYTES + 4);
    if (nameEnd < 0) return undefined;
    document = nameEnd + 1 + 8;
  } else {
    return undefined;
  }
  // The document's length (4), the first element's type (1), then its name (C string).
  const keyStart = document + 5;
  const keyEnd = message.indexOf(0, keyStart);
  return keyEnd < 0 ? undefined : message.toString('latin1', keyStart, keyEnd);
}
