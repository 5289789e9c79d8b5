/**
 * The dataset viewer (`/viewer`): pick a dataset and files (or a group),
 * then pan and zoom a 512 × 512 heatmap of retention time × m/z, with the
 * chromatogram and the spectrum under the pointer beside it. Everything
 * that decides the picture lives in the URL, so a view can be shared,
 * reloaded, and walked back with the browser's Back button.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { describeError } from '../api.js';
import { navigate, useLocation } from '../router.js';
import { ColourLegend } from '../viewer/colour-legend.js';
import { HeatmapView, type Fraction } from '../viewer/heatmap-view.js';
import { ProfilePlot, formatValue } from '../viewer/profile-plot.js';
import { fetchDataset, fetchDatasets, fetchHeatmap, fetchProfile, type DatasetInfo, type Heatmap, type QueryParams } from '../viewer/query-api.js';
import {
  AGGREGATES, SCALES, panRange, readViewerState, selection, subRange, viewerHref, zoomRange,
  type Aggregate, type Range, type Scale, type ViewerState,
} from '../viewer/view-state.js';

const SIZE = 512;
const PROFILE_POINTS = 360;
/** Hover this long before the profiles are asked for, so sweeping the pointer across does not send a query per pixel. */
const HOVER_DELAY_MS = 120;

export function ViewerPage(): JSX.Element {
  const { query } = useLocation();
  const state = readViewerState(query);
  const go = (change: Partial<ViewerState>): void => navigate(viewerHref({ ...state, ...change }));

  const [datasets, setDatasets] = useState<string[] | undefined>();
  const [info, setInfo] = useState<DatasetInfo | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  useEffect(() => {
    fetchDatasets().then((b) => setDatasets(b.datasets.map((d) => d.name))).catch((e: unknown) => setMessage(describeError(e)));
  }, []);
  useEffect(() => {
    setInfo(undefined);
    if (state.dataset === undefined) return;
    fetchDataset(state.dataset).then(setInfo).catch((e: unknown) => setMessage(describeError(e)));
  }, [state.dataset]);
  // A dataset without a choice of files starts on all of them (its `all` group when it has one).
  useEffect(() => {
    if (info === undefined || info.name !== state.dataset || selection(state) !== undefined) return;
    if ('all' in info.groups) go({ group: 'all' });
    else if (info.files[0] !== undefined) go({ files: [info.files[0].id] });
  }, [info, state.dataset, state.group, state.files.join(',')]);

  const chosen = info === undefined ? [] : state.group !== undefined ? info.files.filter((f) => info.groups[state.group!]?.includes(f.id)) : info.files.filter((f) => state.files.includes(f.id));
  const limits = useMemo(() => (chosen.length === 0 ? undefined : {
    rt: [Math.min(...chosen.map((f) => f.rtMin)), Math.max(...chosen.map((f) => f.rtMax))] as Range,
    mz: [Math.min(...chosen.map((f) => f.mzMin)), Math.max(...chosen.map((f) => f.mzMax))] as Range,
  }), [chosen.map((f) => f.id).join(',')]);
  const params: QueryParams | undefined = state.dataset === undefined || info?.name !== state.dataset || selection(state) === undefined ? undefined
    : { dataset: state.dataset, selection: selection(state)!, aggregate: state.aggregate, rt: state.rt, mz: state.mz };

  const heatmap = useHeatmap(params, state.scale);
  const shown = heatmap.image === undefined || limits === undefined ? limits
    : { rt: [heatmap.image.rt.min, heatmap.image.rt.max] as Range, mz: [heatmap.image.mz.min, heatmap.image.mz.max] as Range };
  const minSpan = limits === undefined ? { rt: 0, mz: 0 } : { rt: (limits.rt[1] - limits.rt[0]) / 1e5, mz: (limits.mz[1] - limits.mz[0]) / 1e5 };
  const zoom = (factor: number, at: Fraction): void => {
    if (shown === undefined || limits === undefined) return;
    go({ rt: zoomRange(shown.rt, factor, at.x, limits.rt, minSpan.rt), mz: zoomRange(shown.mz, factor, at.y, limits.mz, minSpan.mz) });
  };

  const [cursor, setCursor] = useState<{ rt: number; mz: number } | undefined>();
  const profiles = useProfiles(params, shown, cursor);

  return (
    <section aria-labelledby="viewer-title" class="viewer">
      <h1 id="viewer-title">Dataset viewer</h1>
      <form class="filters viewer-controls" onSubmit={(e) => e.preventDefault()}>
        <label>Dataset
          <select value={state.dataset ?? ''} onChange={(e) => navigate(viewerHref({ ...state, dataset: e.currentTarget.value || undefined, files: [], group: undefined, rt: undefined, mz: undefined }))}>
            <option value="">{datasets === undefined ? 'loading…' : datasets.length === 0 ? 'no datasets' : 'choose…'}</option>
            {datasets?.map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
        </label>
        {info !== undefined && Object.keys(info.groups).length > 0 && (
          <label>Group
            <select value={state.group ?? ''} onChange={(e) => go({ group: e.currentTarget.value || undefined, files: e.currentTarget.value === '' ? [info.files[0]!.id] : [], rt: undefined, mz: undefined })}>
              <option value="">(files below)</option>
              {Object.keys(info.groups).map((g) => <option key={g} value={g}>{g} ({info.groups[g]!.length})</option>)}
            </select>
          </label>
        )}
        {info !== undefined && (
          <label>Files
            <select multiple size={Math.min(4, info.files.length)} disabled={state.group !== undefined}
              onChange={(e) => go({ files: Array.from(e.currentTarget.selectedOptions, (o) => o.value), rt: undefined, mz: undefined })}>
              {info.files.map((f) => <option key={f.id} value={f.id} selected={state.group === undefined && state.files.includes(f.id)}>{f.id}</option>)}
            </select>
          </label>
        )}
        <label>Aggregate
          <select value={state.aggregate} onChange={(e) => go({ aggregate: e.currentTarget.value as Aggregate })}>
            {AGGREGATES.map((a) => <option key={a} value={a}>{a}</option>)}
          </select>
        </label>
        <label>Scale
          <select value={state.scale} onChange={(e) => go({ scale: e.currentTarget.value as Scale })}>
            {SCALES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <span class="viewer-buttons">
          <button type="button" disabled={shown === undefined} onClick={() => zoom(2, { x: 0.5, y: 0.5 })}>Zoom in</button>
          <button type="button" disabled={shown === undefined} onClick={() => zoom(0.5, { x: 0.5, y: 0.5 })}>Zoom out</button>
          <button type="button" disabled={state.rt === undefined && state.mz === undefined} onClick={() => go({ rt: undefined, mz: undefined })}>Whole run</button>
        </span>
      </form>
      {message !== undefined && <p role="alert" class="error">{message}</p>}
      {heatmap.error !== undefined && <p role="alert" class="error">{heatmap.error}</p>}
      {params === undefined ? <p class="muted">{state.dataset === undefined ? 'Choose a dataset.' : 'Loading the dataset…'}</p> : (
        <div class="viewer-body">
          <div class="viewer-main">
            <HeatmapView
              src={heatmap.image?.url} size={SIZE} busy={heatmap.busy}
              label={shown === undefined ? 'heatmap' : `Heatmap of ${params.dataset}: RT ${formatValue(shown.rt[0])}–${formatValue(shown.rt[1])} s, m/z ${formatValue(shown.mz[0])}–${formatValue(shown.mz[1])}`}
              onPan={(dx, dy) => shown !== undefined && limits !== undefined && go({ rt: panRange(shown.rt, dx, limits.rt), mz: panRange(shown.mz, dy, limits.mz) })}
              onZoom={zoom}
              onBox={(a, b) => shown !== undefined && go({ rt: subRange(shown.rt, a.x, b.x), mz: subRange(shown.mz, a.y, b.y) })}
              onHover={(at) => setCursor(at === undefined || shown === undefined ? undefined : { rt: shown.rt[0] + at.x * (shown.rt[1] - shown.rt[0]), mz: shown.mz[0] + at.y * (shown.mz[1] - shown.mz[0]) })}
            />
            <ColourLegend max={heatmap.image?.max} scale={state.scale} />
          </div>
          <p class="muted viewer-readout" data-testid="viewer-readout">
            {shown !== undefined && <>RT {formatValue(shown.rt[0])}–{formatValue(shown.rt[1])} s · m/z {formatValue(shown.mz[0])}–{formatValue(shown.mz[1])}</>}
            {heatmap.image !== undefined && <> · {heatmap.image.rt.n} × {heatmap.image.mz.n} slots{heatmap.image.cached ? ' (cached)' : ''}</>}
            {cursor !== undefined && <> · pointer at RT {formatValue(cursor.rt)} s, m/z {formatValue(cursor.mz)}</>}
          </p>
          <p class="muted">Drag to pan, scroll to zoom, shift-drag a box to zoom into it.</p>
          <div class="viewer-profiles">
            <ProfilePlot testId="chromatogram" title={cursor === undefined ? 'Chromatogram' : `Chromatogram at m/z ${formatValue(cursor.mz)}`} xLabel="RT (s)" points={profiles.chromatogram} marker={cursor?.rt} />
            <ProfilePlot testId="spectrum" title={cursor === undefined ? 'Spectrum' : `Spectrum at RT ${formatValue(cursor.rt)} s`} xLabel="m/z" points={profiles.spectrum} marker={cursor?.mz} />
          </div>
        </div>
      )}
    </section>
  );
}

/** The heatmap for the current query; a newer query aborts the one in flight. */
function useHeatmap(params: QueryParams | undefined, scale: Scale): { image: Heatmap | undefined; busy: boolean; error: string | undefined } {
  const [image, setImage] = useState<Heatmap | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const key = params === undefined ? '' : JSON.stringify([params, scale]);
  useEffect(() => {
    if (params === undefined) return;
    const abort = new AbortController();
    setBusy(true);
    fetchHeatmap(params, { width: SIZE, height: SIZE }, scale, abort.signal)
      .then((next) => {
        setImage((old) => {
          if (old !== undefined) URL.revokeObjectURL(old.url);
          return next;
        });
        setError(undefined);
        setBusy(false);
      })
      .catch((e: unknown) => {
        if (abort.signal.aborted) return;
        setError(describeError(e));
        setBusy(false);
      });
    return () => abort.abort();
  }, [key]);
  return { image, busy, error };
}

/**
 * The chromatogram (over the view's RT, in a window of a few pixels of
 * m/z) and the spectrum (over the view's m/z, a few pixels of RT) at the
 * pointer, once it rests.
 */
function useProfiles(params: QueryParams | undefined, shown: { rt: Range; mz: Range } | undefined, cursor: { rt: number; mz: number } | undefined): { chromatogram?: Points; spectrum?: Points } {
  const [profiles, setProfiles] = useState<{ view: string; chromatogram?: Points; spectrum?: Points }>({ view: '' });
  // Profiles belong to the view they were asked in: after a pan or zoom the old ones are not shown.
  const view = JSON.stringify([params, shown]);
  const last = useRef<AbortController | undefined>(undefined);
  useEffect(() => {
    if (params === undefined || shown === undefined || cursor === undefined) return;
    const timer = setTimeout(() => {
      last.current?.abort();
      const abort = new AbortController();
      last.current = abort;
      const mzHalf = (2 * (shown.mz[1] - shown.mz[0])) / SIZE;
      const rtHalf = (2 * (shown.rt[1] - shown.rt[0])) / SIZE;
      const around = (at: number, half: number, within: Range): Range => [Math.max(within[0], at - half), Math.min(within[1], at + half)];
      const chromatogram = fetchProfile('chromatogram', { ...params, rt: shown.rt, mz: around(cursor.mz, mzHalf, shown.mz) }, PROFILE_POINTS, abort.signal);
      const spectrum = fetchProfile('spectrum', { ...params, rt: around(cursor.rt, rtHalf, shown.rt), mz: shown.mz }, PROFILE_POINTS, abort.signal);
      Promise.all([chromatogram, spectrum])
        .then(([c, s]) => setProfiles({ view, chromatogram: c, spectrum: s }))
        .catch(() => {}); // aborted by a newer position, or the pointer moved off the data: keep the last profiles
    }, HOVER_DELAY_MS);
    return () => clearTimeout(timer);
  }, [cursor?.rt, cursor?.mz, view]);
  return profiles.view === view ? profiles : {};
}

type Points = { x: number[]; y: number[] };
