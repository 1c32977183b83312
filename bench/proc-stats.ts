import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times, read once: not a process spawned around every slice. */
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU seconds (user + system) of a process so far, from /proc/<pid>/stat, its threads included; 0 for a process that is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** The direct children of a process (nginx's workers, `serve --workers`' workers). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * A process's main (event-loop) thread alone, from Linux's scheduler statistics
 * (/proc/<pid>/task/<pid>/schedstat, nanoseconds): its CPU time (unlike the process's it leaves
 * out the prediction-log writer thread and V8's helpers, and unlike event-loop busy time it
 * leaves out time the hypervisor gave to another guest), and the time it was ready to run but
 * waited for a core. Null where /proc is not there.
 */
export function mainThreadSchedstat(pid: number): { runUs: number; waitUs: number } | null {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ');
    return { runUs: Number(run) / 1000, waitUs: Number(wait) / 1000 };
  } catch {
    return null;
  }
}
