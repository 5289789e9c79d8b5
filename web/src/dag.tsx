/** A process drawn as its DAG: one box per step, coloured (and labelled) by state, with counts and times. */
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { DEFAULT_LAYOUT, layoutDag } from './dag-layout.js';
import { elapsed, formatDuration } from './format.js';
import { STATE_LABELS, stepEnd, stepState } from './step-state.js';
import type { ProcessView } from './types.js';

export function Dag({ view, now }: { view: ProcessView; now: number }): JSX.Element {
  const shape = view.steps.map((s) => `${s.name}<${s.after.join(',')}`).join(';');
  const layout = useMemo(() => layoutDag(view.steps), [shape]);
  const byName = new Map(view.steps.map((s) => [s.name, s]));
  const { nodeWidth: w, nodeHeight: h } = DEFAULT_LAYOUT;
  const pad = 8;
  return (
    <div class="dag-scroll">
      <svg class="dag" role="group" aria-label={`Steps of ${view.processId}`} width={layout.width + 2 * pad} height={layout.height + 2 * pad} viewBox={`${-pad} ${-pad} ${layout.width + 2 * pad} ${layout.height + 2 * pad}`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="dag-arrow" />
          </marker>
        </defs>
        {layout.edges.map((edge) => <path key={`${edge.from}>${edge.to}`} d={edge.path} class="dag-edge" marker-end="url(#arrow)" />)}
        {layout.nodes.map((node) => {
          const step = byName.get(node.name)!;
          const state = stepState(step, view);
          const counts = step.tasks === 0 && step.status !== 'pending' ? 'no tasks' : `${step.completed}/${step.tasks || '?'} done`;
          const extra = [step.failed > 0 ? `${step.failed} failed` : '', step.retries > 0 ? `${step.retries} ${step.retries === 1 ? 'retry' : 'retries'}` : ''].filter(Boolean).join(' · ');
          const time = formatDuration(elapsed(step.startedAt, stepEnd(step, view), now));
          const label = `${step.name}: ${STATE_LABELS[state]}, ${counts}${extra ? `, ${extra}` : ''}`;
          return (
            <g key={node.name} class={`dag-node state-${state}`} data-step={step.name} data-state={state} transform={`translate(${node.x},${node.y})`} role="img" aria-label={label}>
              <title>{label}</title>
              <rect width={w} height={h} rx="8" />
              <text x="10" y="19" class="dag-name">{clip(step.name, 20)}</text>
              <text x={w - 10} y="19" class="dag-state" text-anchor="end">{STATE_LABELS[state]}</text>
              <text x="10" y="38" class="dag-detail">{clip(step.task, 26)}</text>
              <text x="10" y="58" class="dag-detail">{counts}{step.startedAt !== undefined ? ` · ${time}` : ''}</text>
              {extra && <text x={w - 10} y="58" class="dag-warn" text-anchor="end">{step.retries > 0 ? `↻${step.retries}` : `✕${step.failed}`}</text>}
              {state === 'running' || state === 'retried' ? <rect class="dag-progress" x="0" y={h - 4} height="4" rx="2" width={step.tasks > 0 ? (w * step.completed) / step.tasks : 0} /> : null}
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
