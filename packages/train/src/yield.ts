import { Subscription, asyncScheduler, type SchedulerAction, type SchedulerLike } from 'rxjs';

type Task = () => void;

interface Port {
  onmessage: ((e: unknown) => void) | null;
  postMessage(v: unknown): void;
}

const host = globalThis as unknown as {
  setImmediate?: (f: Task) => unknown;
  MessageChannel?: new () => { port1: Port; port2: Port };
  setTimeout: (f: Task, ms: number) => unknown;
};

/**
 * The cheapest way this platform has to run a task after pending events: setImmediate in Node,
 * a MessageChannel message in browsers (no 4 ms clamp, unlike nested setTimeout), else setTimeout.
 */
function macrotask(): (f: Task) => void {
  if (typeof host.setImmediate === 'function') return (f) => void host.setImmediate!(f);
  if (typeof host.MessageChannel === 'function') {
    const channel = new host.MessageChannel();
    const queue: Task[] = [];
    channel.port1.onmessage = () => queue.shift()?.();
    return (f) => {
      queue.push(f);
      channel.port2.postMessage(0);
    };
  }
  return (f) => void host.setTimeout(f, 0);
}

const post = macrotask();

class YieldAction<T> extends Subscription implements SchedulerAction<T> {
  constructor(private readonly work: (this: SchedulerAction<T>, state?: T) => void) {
    super();
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    if (delay > 0) return asyncScheduler.schedule(this.work, delay, state);
    post(() => {
      if (!this.closed) this.work.call(this, state);
    });
    return this;
  }
}

/**
 * The default scheduler of sliced training: runs each chunk as a new macrotask, so timers, I/O
 * and (in a browser) rendering get their turn between chunks, without rxjs `asyncScheduler`'s
 * timer cost (setTimeout rounds to 1 ms in Node and 4 ms in nested browser timers).
 */
export const yieldScheduler: SchedulerLike = {
  now: () => Date.now(),
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    return new YieldAction(work).schedule(state, delay);
  },
};
