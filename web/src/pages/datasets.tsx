/**
 * The datasets `/api/datasets` serves (when the server mounts those
 * routes), each linking to the viewer (`/viewer`).
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, describeError } from '../api.js';
import { formatTime } from '../format.js';
import { Link } from '../router.js';

interface DatasetSummary {
  name: string;
  revision: number;
  files: number;
  groups: string[];
  storedBytes: number;
  createdAt: number;
}

export function DatasetsPage(): JSX.Element {
  const [datasets, setDatasets] = useState<DatasetSummary[] | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  useEffect(() => {
    api<{ datasets: DatasetSummary[] }>('/api/datasets')
      .then((b) => setDatasets(b.datasets))
      .catch((e: unknown) => setMessage(e instanceof ApiError && e.status === 404 ? 'This server does not serve datasets.' : describeError(e)));
  }, []);
  return (
    <section aria-labelledby="datasets-title">
      <h1 id="datasets-title">Datasets</h1>
      <p class="muted">Open a dataset in the <Link href="/viewer">viewer</Link> to pan and zoom over its heatmaps.</p>
      {message !== undefined && <p role="status">{message}</p>}
      {datasets !== undefined && (datasets.length === 0 ? <p class="muted">No datasets.</p> : (
        <table class="list">
          <thead><tr><th scope="col">Dataset</th><th scope="col">Revision</th><th scope="col">Files</th><th scope="col">Groups</th><th scope="col">Size</th><th scope="col">Created</th></tr></thead>
          <tbody>
            {datasets.map((d) => (
              <tr key={d.name}><th scope="row"><Link href={`/viewer?dataset=${encodeURIComponent(d.name)}`}>{d.name}</Link></th><td>{d.revision}</td><td>{d.files}</td><td>{d.groups.join(', ')}</td><td>{(d.storedBytes / 1e6).toFixed(1)} MB</td><td>{formatTime(d.createdAt)}</td></tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}
