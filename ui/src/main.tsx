import { render } from 'preact';
import './app.css';
import { App } from './App';
import { restore } from './session';

render(<App />, document.getElementById('app')!);
void restore();
