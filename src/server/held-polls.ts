// Long polls waiting in memory: a node that asked `tasks/next?wait=30s` and had nothing due waits
// here, without a database connection, until a task may be due for it (a job noted for it, or its
// task's window starting), its wait ends, its connection closes, or the server stops.

export type WakeReason = 'wake' | 'timer' | 'closed' | 'shutdown';

interface HeldPoll {
  key: string;
  timer: NodeJS.Timeout;
  resolve: (reason: WakeReason) => void;
}

export class HeldPolls {
  readonly #byNode = new Map<string, Set<HeldPoll>>();
  #count = 0;
  #closing = false;

  constructor(
    /** At most this many polls held at once; beyond it, a poll is answered at once (see `tryHold`). */
    readonly limit: number,
    /** Told the number held whenever it changes (the gauge). */
    private readonly onCount: (count: number) => void = () => undefined,
  ) {}

  get count(): number {
    return this.#count;
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Whether one more poll may be held now. */
  hasRoom(): boolean {
    return !this.#closing && this.#count < this.limit;
  }

  /**
   * Holds until `wakeAtMs` (a timer), a wake for the node, the connection's close, or the server's
   * stop, whichever comes first; answers which. The caller checked `hasRoom` first.
   */
  wait(key: string, delayMs: number, connection: NodeJS.EventEmitter): Promise<WakeReason> {
    if (this.#closing) return Promise.resolve('shutdown');
    return new Promise<WakeReason>((resolve) => {
      const onClose = () => finish('closed');
      const finish = (reason: WakeReason) => {
        clearTimeout(poll.timer);
        connection.off('close', onClose);
        const held = this.#byNode.get(key);
        if (held?.delete(poll)) {
          if (held.size === 0) this.#byNode.delete(key);
          this.onCount(--this.#count);
        }
        resolve(reason);
      };
      const poll: HeldPoll = { key, timer: setTimeout(finish, Math.max(0, delayMs), 'timer'), resolve: finish };
      connection.once('close', onClose);
      let held = this.#byNode.get(key);
      if (!held) this.#byNode.set(key, (held = new Set()));
      held.add(poll);
      this.onCount(++this.#count);
    });
  }

  /** Wakes every poll held for the node. */
  wake(key: string): void {
    const held = this.#byNode.get(key);
    if (!held) return;
    for (const poll of [...held]) poll.resolve('wake');
  }

  /** Stops holding: every held poll is woken with 'shutdown', and none is held from now on. */
  close(): void {
    this.#closing = true;
    for (const held of [...this.#byNode.values()]) {
      for (const poll of [...held]) poll.resolve('shutdown');
    }
  }
}
