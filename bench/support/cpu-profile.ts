// Summarises a V8 CPU profile (.cpuprofile, from `node --cpu-prof` or the inspector's
// Profiler): time by area (a package, Node internals, GC, idle), then the hottest functions
// by self time and by total (inclusive) time, then the busy periods and what filled them.
// Also runnable on its own:
//   node --import tsx bench/support/cpu-profile.ts <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';
import { percentile } from './measure.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const packages = url.indexOf('/packages/');
  if (packages >= 0) return url.slice(packages + 1);
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return url.slice(bench + 1);
  return url;
}

/** The area a function belongs to: an npm package, an Earshot package, Node, or V8. */
function area(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native/V8)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  const earshot = /\/packages\/([^/]+)\//.exec(url);
  if (earshot) return `@earshot/${earshot[1]!}`;
  if (url.startsWith('node:')) return 'node: internals';
  return shortUrl(url);
}

function key(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'}  ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
}

/**
 * Stretches of the thread's time with no idle sample in them: work that arrived while earlier
 * work ran waited for it. A frame's latency is set by the stretch it arrives in, so their
 * lengths (and what they held) say whether the tail comes from one kind of long task, a GC
 * pause say, or from ordinary work queued behind ordinary work. Resolved to the sampling
 * interval (1 ms by default); what they held is by each sample's outermost function.
 */
function busyPeriods(profile: Profile, byId: Map<number, ProfileNode>): string[] {
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const rootId = profile.nodes[0]!.id;
  const outermost = (id: number): ProfileNode => {
    let at = id;
    while (parent.has(at) && parent.get(at) !== rootId) at = parent.get(at)!;
    return byId.get(at)!;
  };
  const periods: Array<{ ms: number; parts: Map<string, number> }> = [];
  let open: { ms: number; parts: Map<string, number> } | undefined;
  profile.samples.forEach((id, i) => {
    // A sample stands for the time until the next one, as DevTools draws it.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (byId.get(id)!.callFrame.functionName === '(idle)') {
      if (open) periods.push(open);
      open = undefined;
      return;
    }
    open ??= { ms: 0, parts: new Map() };
    open.ms += ms;
    const name = key(outermost(id));
    open.parts.set(name, (open.parts.get(name) ?? 0) + ms);
  });
  if (open) periods.push(open);
  if (periods.length === 0) return [];
  const lengths = periods.map((period) => period.ms).sort((a, b) => a - b);
  const at = (p: number) => percentile(lengths, p).toFixed(1);
  const sampled = profile.timeDeltas.reduce((a, b) => a + b, 0) / 1000;
  const long = periods.filter((period) => period.ms >= 10);
  const longMs = long.reduce((sum, period) => sum + period.ms, 0);
  // A pause leaves a backlog that ordinary work then clears, so a period a collection set
  // off shows mostly ordinary work: whether it held one at all says more.
  const withGc = long.filter((period) => period.parts.has('(garbage collector)')).length;
  const held = new Map<string, number>();
  for (const period of long)
    for (const [name, ms] of period.parts) held.set(name, (held.get(name) ?? 0) + ms);
  return [
    `  busy periods (no idle sample between): ${periods.length.toLocaleString('en')}, ms p50 ${at(50)} p90 ${at(90)} p99 ${at(99)} max ${at(100)}; ${long.length} of 10 ms or more hold ${((longMs / sampled) * 100).toFixed(0)}% of the time sampled; ${withGc} of those hold a collection. What they hold, by outermost function:`,
    ...[...held.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([name, ms]) => `    ${`${((ms / longMs) * 100).toFixed(1)}%`.padStart(6)}  ${name}`),
  ];
}

export function summariseProfile(path: string, top = 20): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()]
    .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
    .reduce((a, [, ms]) => a + ms, 0);

  const areas = new Map<string, number>();
  const selfByKey = new Map<string, number>();
  for (const [id, ms] of self) {
    const node = byId.get(id)!;
    areas.set(area(node), (areas.get(area(node)) ?? 0) + ms);
    selfByKey.set(key(node), (selfByKey.get(key(node)) ?? 0) + ms);
  }

  // Inclusive time: a node's self time counts once for every distinct function above it.
  const inclusive = new Map<string, number>();
  const root = profile.nodes[0]!;
  const stack: string[] = [];
  const visit = (node: ProfileNode) => {
    const k = key(node);
    stack.push(k);
    const ms = self.get(node.id) ?? 0;
    if (ms > 0)
      for (const name of new Set(stack)) inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    for (const child of node.children ?? []) visit(byId.get(child)!);
    stack.pop();
  };
  visit(root);

  const busy = total - idle;
  const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1)}%`.padStart(6);
  const list = (entries: Map<string, number>, n: number, skip: (name: string) => boolean) =>
    [...entries.entries()]
      .filter(([name]) => !skip(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => `    ${pct(ms)}  ${ms.toFixed(0).padStart(7)} ms  ${name}`);
  const structural = (name: string) => /^\((root|program|idle)\)/.test(name);
  return [
    `  CPU profile ${path}: ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (percentages are of busy time)`,
    '  by area:',
    ...list(areas, 14, (name) => name === '(idle)'),
    `  top ${top} functions by self time:`,
    ...list(selfByKey, top, (name) => name.startsWith('(idle)')),
    `  top ${top} functions by total time:`,
    ...list(inclusive, top, structural),
    ...busyPeriods(profile, byId),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, top] = process.argv.slice(2);
  if (!path) throw new Error('usage: cpu-profile.ts <file.cpuprofile> [top]');
  console.log(summariseProfile(path, top ? Number(top) : 20));
}
