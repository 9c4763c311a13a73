// CPU time of processes other than this one, read from Linux's /proc: the PostgreSQL server's
// backends (by command name) and the whole machine. Elsewhere (no /proc) it reports nothing.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU counters (USER_HZ: 100 on every Linux in practice). */
const TICKS_PER_SECOND = 100;

export interface CpuCounters {
  /** CPU ms of each process named `command`, by pid. */
  commandMs: Map<string, number>;
  /** Busy and total CPU ms of the whole machine, summed over its cores. */
  machineBusyMs: number;
  machineTotalMs: number;
}

const toMs = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;

export function readCpu(command = 'postgres'): CpuCounters | undefined {
  try {
    const commandMs = new Map<string, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // gone already
      }
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== command) continue;
      const fields = stat.slice(close + 2).split(' '); // fields[0] is field 3 (state)
      commandMs.set(entry, toMs(Number(fields[11]) + Number(fields[12]))); // utime, stime
    }
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu.map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq! + steal!;
    return {
      commandMs,
      machineBusyMs: toMs(busy),
      machineTotalMs: toMs(busy + idle! + iowait!),
    };
  } catch {
    return undefined;
  }
}

/**
 * The difference between two readings: the command's CPU as % of one core (processes started
 * in between count whole; those that exited in between are missed), machine busy as % of all.
 */
export function cpuBetween(
  before: CpuCounters | undefined,
  after: CpuCounters | undefined,
  wallMs: number,
): { commandPct: number; machinePct: number } | undefined {
  if (!before || !after) return undefined;
  let commandMs = 0;
  for (const [pid, ms] of after.commandMs) commandMs += ms - (before.commandMs.get(pid) ?? 0);
  return {
    commandPct: (commandMs / wallMs) * 100,
    machinePct:
      ((after.machineBusyMs - before.machineBusyMs) /
        (after.machineTotalMs - before.machineTotalMs)) *
      100,
  };
}
