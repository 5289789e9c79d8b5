/** The dashboard's entry: mounts the app (see docs/dashboard.md). */
import { render } from 'preact';
import { App } from './app.js';
import './styles.css';

render(<App />, document.getElementById('app')!);
