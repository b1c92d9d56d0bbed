import { type Job, Worker, type WorkerOptions } from 'bullmq';

/**
 * A process's episode slots, shared by its BullMQ workers (one per model-group queue): a job is
 * taken from Redis only while a slot is free, so a worker never holds more jobs active than it runs.
 * Waiters are served in order; `close` wakes them all empty-handed.
 */
export class SharedSlots {
  private free: number;
  private readonly waiting: ((granted: boolean) => void)[] = [];
  private closed = false;

  constructor(readonly size: number) {
    this.free = size;
  }

  /** Resolves true once a slot is this caller's (give it back with `release`), false once closed. */
  acquire(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Takes a slot if one is free now. */
  tryAcquire(): boolean {
    if (this.closed || this.free === 0) return false;
    this.free--;
    return true;
  }

  release(): void {
    const next = this.closed ? undefined : this.waiting.shift();
    if (next) next(true);
    else this.free++;
  }

  /** Slots taken now. */
  get taken(): number {
    return this.size - this.free;
  }

  /** No slot is given any more; callers waiting for one get false. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter(false);
  }
}

/**
 * A BullMQ worker that moves a job to active only while it holds one of the shared slots, and gives
 * the slot back once BullMQ has finished with the job (completed, failed, delayed or put back).
 *
 * How (bullmq 6.7, classes/worker.js): every job a worker takes goes through `moveToActive` (the
 * main loop's fetch, after its blocking wait for a job, which holds no slot), except the next job a
 * finishing job fetches in the same script (`fetchNextCallback`), which is turned off here. So a job
 * is active in Redis only while a slot is held for it. The main loop fetches several jobs before it
 * starts processing them, so a fetch waits for a slot only when every job this worker took is being
 * processed; otherwise it comes back empty at once and the loop processes what it took. A taken job
 * is thus always processed at once: its lock is renewed by the lock manager from the start, as ever,
 * and the stalled check sees exactly the jobs of dead workers.
 */
export class SlotWorker<Data> extends Worker<Data> {
  /** Jobs this worker moved to active whose processing has not started yet. */
  private taken = 0;

  constructor(
    name: string,
    processor: (job: Job<Data>, token?: string) => Promise<unknown>,
    options: WorkerOptions,
    private readonly slots: SharedSlots,
  ) {
    super(name, processor, options);
  }

  protected override async moveToActive(token: string, name?: string): Promise<Job<Data>> {
    // Waiting for a slot now would leave the jobs taken unprocessed (and their locks unrenewed).
    if (this.taken > 0 ? !this.slots.tryAcquire() : !(await this.slots.acquire())) return undefined as unknown as Job<Data>;
    let job: Job<Data> | undefined;
    try {
      // Closing meanwhile: take nothing more (the main loop ends once the jobs in flight are done).
      if (!this.closing) job = await super.moveToActive(token, name);
    } finally {
      if (job) this.taken++;
      else this.slots.release();
    }
    return job as Job<Data>;
  }

  override async processJob(job: Job<Data>, token: string): ReturnType<Worker<Data>['processJob']> {
    this.taken--;
    try {
      // Never fetch the next job with this one's completion: that would take it without a slot.
      return await super.processJob(job, token, () => false);
    } finally {
      this.slots.release();
    }
  }
}
