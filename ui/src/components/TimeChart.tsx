// One channel's readings over time, drawn by uPlot (a canvas, small and fast enough for live
// points). A canvas says nothing to a screen reader: the caller gives it `description`, which the
// chart carries as its accessible name, and shows the key facts as text beside it.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { reading, Series } from '../screens/TelemetryModel';

const VALUE = '#0b5cad';
const LIMIT = '#b3261e';
const AXIS = '#1b2430';
const GRID = '#d5dbe3';

export interface TimeChartProps {
  series: Series;
  /** The window shown, in ms since the epoch. */
  from: number;
  to: number;
  low: number | null;
  high: number | null;
  unit: string;
  label: string;
  description: string;
}

/** The plotting data: the window's edges added (so the limits span it), nulls where there are no readings. */
function dataOf(p: TimeChartProps): uPlot.AlignedData {
  const xs: number[] = [];
  const value: (number | null)[] = [];
  const min: (number | null)[] = [];
  const max: (number | null)[] = [];
  const edge = (t: number) => {
    xs.push(t / 1000);
    value.push(null);
    min.push(null);
    max.push(null);
  };
  const { at } = p.series;
  if (at.length === 0 || at[0] > p.from) edge(p.from);
  at.forEach((t, i) => {
    xs.push(t / 1000);
    value.push(p.series.value[i]);
    min.push(p.series.min[i]);
    max.push(p.series.max[i]);
  });
  if (at.length === 0 || at[at.length - 1] < p.to) edge(p.to);
  const data: (number | null)[][] = [xs, value];
  if (p.series.step !== null) data.push(min, max);
  if (p.low !== null) data.push(xs.map(() => p.low));
  if (p.high !== null) data.push(xs.map(() => p.high));
  return data as uPlot.AlignedData;
}

function optionsOf(p: TimeChartProps, width: number): uPlot.Options {
  const withUnit = (_: uPlot, v: number | null) => (v === null || v === undefined ? '—' : `${reading(v)} ${p.unit}`);
  const series: uPlot.Series[] = [{}, { label: p.label, stroke: VALUE, width: 2, value: withUnit, spanGaps: false, points: { show: false } }];
  const bands: uPlot.Band[] = [];
  if (p.series.step !== null) {
    series.push({ label: 'min', stroke: 'rgba(11,92,173,0.35)', width: 1, value: withUnit, points: { show: false } });
    series.push({ label: 'max', stroke: 'rgba(11,92,173,0.35)', width: 1, value: withUnit, points: { show: false } });
    bands.push({ series: [3, 2], fill: 'rgba(11,92,173,0.12)' });
  }
  if (p.low !== null) series.push({ label: 'low', stroke: LIMIT, width: 1.5, dash: [6, 4], value: withUnit, points: { show: false } });
  if (p.high !== null) series.push({ label: 'high', stroke: LIMIT, width: 1.5, dash: [6, 4], value: withUnit, points: { show: false } });
  const axis = { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 } };
  return {
    width,
    height: width < 500 ? 180 : 220,
    series,
    bands,
    scales: { x: { time: true } },
    axes: [axis, { ...axis, label: p.unit, labelSize: 20, size: 56 }],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
}

/** The chart: made once per shape (raw or stepped, which limits), fed new data as the props change, resized with its box. */
export function TimeChart(props: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const shape = `${props.series.step !== null}|${props.low !== null}|${props.high !== null}|${props.unit}|${props.label}`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(optionsOf(props, Math.max(200, el.clientWidth)), dataOf(props), el);
    chart.current = u;
    const resize = new ResizeObserver(() => {
      const width = Math.max(200, el.clientWidth);
      if (width !== u.width) u.setSize({ width, height: width < 500 ? 180 : 220 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      chart.current = null;
    };
  }, [shape]);

  useEffect(() => {
    chart.current?.setData(dataOf(props));
  }, [props.series, props.from, props.to, props.low, props.high]);

  // role="img": the canvas and uPlot's hover legend are one picture; its name says what it shows.
  return <div class="time-chart" ref={box} role="img" aria-label={props.description} />;
}
