/**
 * Keeps one worker process (test/faults/worker-child.ts) running over an
 * embedded data directory, as a process manager would: when it dies —
 * killed by the scenario, or by a task that kills its own process — a new
 * one is started. Counts the deaths, so the scenario can report them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const childScript = new URL('../worker-child.ts', import.meta.url).pathname;

export class WorkerSupervisor {
  private current: ChildProcess | undefined;
  private stopped = false;
  private starting: Promise<void> | undefined;
  /** Worker processes that died while the supervisor ran (each was replaced). */
  deaths = 0;

  constructor(private readonly dataDir: string, private readonly tasksModule: string, private readonly concurrency = 32) {}

  async start(): Promise<void> {
    this.starting = this.spawnOne();
    await this.starting;
  }

  /** SIGKILLs the running worker (it is replaced); resolves once it has died. */
  async kill(): Promise<void> {
    await this.starting;
    const child = this.current;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting?.catch(() => undefined);
    const child = this.current;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }

  private async spawnOne(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, this.dataDir, this.tasksModule, String(this.concurrency)], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.current = child;
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => line === 'ready' && resolve());
      child.once('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before it was ready`)));
    });
    child.once('exit', () => {
      if (this.stopped) return;
      this.deaths++;
      this.starting = this.spawnOne();
    });
    // Died before it was ready (a task it took killed it): the exit handler has started the next.
    await ready.catch(() => undefined);
  }
}
