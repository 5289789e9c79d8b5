/**
 * The heatmap and what a pointer does to it:
 *
 * - drag: pan (the image follows the pointer; the new view is asked for on release)
 * - wheel: zoom about the pointer, one step per notch
 * - shift-drag: draw a box, zoom to it on release
 * - hover: report the RT and m/z under the pointer (for the profiles)
 *
 * It knows pixels and fractions only; the page turns fractions into ranges.
 * RT runs left to right, m/z bottom to top, as the server draws them.
 */
import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';

/** A point or box in fractions of the image: x from the left, y from the bottom. */
export interface Fraction {
  x: number;
  y: number;
}

export interface HeatmapViewProps {
  src: string | undefined;
  size: number;
  busy: boolean;
  label: string;
  onPan(dx: number, dy: number): void;
  onZoom(factor: number, at: Fraction): void;
  onBox(a: Fraction, b: Fraction): void;
  onHover(at: Fraction | undefined): void;
}

type Gesture = { kind: 'pan' | 'box'; start: { x: number; y: number }; now: { x: number; y: number } };

/** One wheel notch zooms by this much. */
const WHEEL_FACTOR = 1.5;

export function HeatmapView({ src, size, busy, label, onPan, onZoom, onBox, onHover }: HeatmapViewProps): JSX.Element {
  const frame = useRef<HTMLDivElement>(null);
  const [gesture, setGesture] = useState<Gesture | undefined>();

  const local = (event: { clientX: number; clientY: number }): { x: number; y: number } => {
    const box = frame.current!.getBoundingClientRect();
    return { x: Math.min(Math.max(event.clientX - box.left, 0), box.width), y: Math.min(Math.max(event.clientY - box.top, 0), box.height) };
  };
  const fraction = (p: { x: number; y: number }): Fraction => {
    const box = frame.current!.getBoundingClientRect();
    return { x: p.x / box.width, y: 1 - p.y / box.height };
  };

  const onPointerDown = (event: PointerEvent): void => {
    if (event.button !== 0) return;
    event.preventDefault();
    frame.current!.setPointerCapture(event.pointerId);
    const at = local(event);
    setGesture({ kind: event.shiftKey ? 'box' : 'pan', start: at, now: at });
  };
  const onPointerMove = (event: PointerEvent): void => {
    const at = local(event);
    if (gesture !== undefined) setGesture({ ...gesture, now: at });
    onHover(fraction(at));
  };
  const onPointerUp = (event: PointerEvent): void => {
    if (gesture === undefined) return;
    setGesture(undefined);
    const end = local(event);
    const box = frame.current!.getBoundingClientRect();
    const moved = Math.abs(end.x - gesture.start.x) + Math.abs(end.y - gesture.start.y);
    if (moved < 4) return; // a click, not a drag
    if (gesture.kind === 'pan') onPan(-(end.x - gesture.start.x) / box.width, (end.y - gesture.start.y) / box.height);
    else onBox(fraction(gesture.start), fraction(end));
  };
  const onWheel = (event: WheelEvent): void => {
    event.preventDefault();
    onZoom(event.deltaY < 0 ? WHEEL_FACTOR : 1 / WHEEL_FACTOR, fraction(local(event)));
  };

  const shift = gesture?.kind === 'pan' ? { x: gesture.now.x - gesture.start.x, y: gesture.now.y - gesture.start.y } : undefined;
  const box = gesture?.kind === 'box' ? {
    left: Math.min(gesture.start.x, gesture.now.x), top: Math.min(gesture.start.y, gesture.now.y),
    width: Math.abs(gesture.now.x - gesture.start.x), height: Math.abs(gesture.now.y - gesture.start.y),
  } : undefined;

  return (
    <div
      ref={frame}
      class={`heatmap${busy ? ' heatmap-busy' : ''}`}
      style={{ width: `${size}px`, height: `${size}px` }}
      data-testid="heatmap"
      aria-busy={busy}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={() => setGesture(undefined)}
      onPointerLeave={() => gesture === undefined && onHover(undefined)}
      onWheel={onWheel}
    >
      {src !== undefined && (
        <img src={src} alt={label} width={size} height={size} draggable={false} style={shift === undefined ? undefined : { transform: `translate(${shift.x}px, ${shift.y}px)` }} />
      )}
      {box !== undefined && <div class="heatmap-box" style={{ left: `${box.left}px`, top: `${box.top}px`, width: `${box.width}px`, height: `${box.height}px` }} />}
    </div>
  );
}
