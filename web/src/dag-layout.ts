/**
 * Places a process's steps for drawing, left to right: a step's column is
 * the longest chain of `after` above it, and steps within a column are
 * ordered by the mean row of their parents (a few sweeps of the barycentre
 * heuristic), which untangles the usual fan-out/fan-in shapes. Pure, so it
 * is unit-tested without a browser.
 */
export interface LayoutInput {
  name: string;
  after: readonly string[];
}

export interface LayoutOptions {
  nodeWidth: number;
  nodeHeight: number;
  gapX: number;
  gapY: number;
}

export interface PlacedNode {
  name: string;
  column: number;
  row: number;
  x: number;
  y: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  /** SVG path from the parent's right edge to the child's left edge. */
  path: string;
}

export interface DagLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = { nodeWidth: 188, nodeHeight: 72, gapX: 56, gapY: 20 };

export function layoutDag(steps: readonly LayoutInput[], options: LayoutOptions = DEFAULT_LAYOUT): DagLayout {
  const names = new Set(steps.map((s) => s.name));
  const parents = new Map(steps.map((s) => [s.name, s.after.filter((p) => names.has(p) && p !== s.name)]));
  const column = new Map<string, number>();
  const depth = (name: string, seen: Set<string>): number => {
    const known = column.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a cycle cannot come from the API; draw it flat rather than loop
    seen.add(name);
    const value = Math.max(-1, ...(parents.get(name) ?? []).map((p) => depth(p, seen))) + 1;
    column.set(name, value);
    return value;
  };
  for (const step of steps) depth(step.name, new Set());

  const columns: string[][] = [];
  for (const step of steps) (columns[column.get(step.name)!] ??= []).push(step.name);
  const row = new Map<string, number>();
  const number = (): void => columns.forEach((names) => names.forEach((name, i) => row.set(name, i)));
  number();
  for (let sweep = 0; sweep < 4; sweep++) {
    for (const names of columns.slice(1)) {
      const weight = (name: string): number => {
        const ps = parents.get(name)!;
        return ps.length === 0 ? row.get(name)! : ps.reduce((sum, p) => sum + row.get(p)!, 0) / ps.length;
      };
      names.sort((a, b) => weight(a) - weight(b) || row.get(a)! - row.get(b)!);
      names.forEach((name, i) => row.set(name, i));
    }
    number();
  }

  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const height = tallest * options.nodeHeight + (tallest - 1) * options.gapY;
  const nodes: PlacedNode[] = [];
  columns.forEach((names, c) => {
    const span = names.length * options.nodeHeight + (names.length - 1) * options.gapY;
    const top = (height - span) / 2;
    names.forEach((name, r) => nodes.push({ name, column: c, row: r, x: c * (options.nodeWidth + options.gapX), y: top + r * (options.nodeHeight + options.gapY) }));
  });
  const at = new Map(nodes.map((n) => [n.name, n]));
  const edges: PlacedEdge[] = [];
  for (const step of steps) {
    const to = at.get(step.name)!;
    for (const parent of parents.get(step.name)!) {
      const from = at.get(parent)!;
      const x1 = from.x + options.nodeWidth;
      const y1 = from.y + options.nodeHeight / 2;
      const x2 = to.x;
      const y2 = to.y + options.nodeHeight / 2;
      const bend = Math.max(options.gapX / 2, (x2 - x1) / 2);
      edges.push({ from: parent, to: step.name, path: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}` });
    }
  }
  const width = columns.length * options.nodeWidth + Math.max(0, columns.length - 1) * options.gapX;
  return { nodes, edges, width, height };
}
