// Summarises a V8 CPU profile (.cpuprofile, from `node --cpu-prof` or the inspector's
// Profiler): time by area (a package, Node internals, GC, idle), then the hottest functions
// by self time and by total (inclusive) time. Also runnable on its own:
//   node --import tsx bench/support/cpu-profile.ts <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';

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
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, top] = process.argv.slice(2);
  if (!path) throw new Error('usage: cpu-profile.ts <file.cpuprofile> [top]');
  console.log(summariseProfile(path, top ? Number(top) : 20));
}
