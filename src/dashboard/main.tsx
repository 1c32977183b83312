import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { App } from './components/app.js';
import { LiveStore } from './live-store.js';

const store = new LiveStore();
store.start();
render(<App store={store} />, document.getElementById('root')!);
