/**
 * The provisioned dashboards, as code: `npm run dashboards` writes them to
 * provisioning/dashboards/rpa/*.json (Grafana's dashboard JSON model), and a test keeps the
 * files and this source in step.
 */

export const RPA = { type: 'rpa-analytics-datasource', uid: 'rpa-analytics' } as const;

type Target = Record<string, unknown> & { refId: string; queryType: string };

interface PanelSpec {
  title: string;
  type: 'timeseries' | 'table' | 'stat';
  targets: Target[];
  w: number;
  h: number;
  unit?: string;
  description?: string;
  /** A table column whose values link to a workflow's drill-down (keeping the time range). */
  drillDown?: string;
  /** Table columns left out (Grafana's "Hide in table"): what another panel shows, so the rest has room. */
  hide?: string[];
  /** A stat's calculation over its series (default: the sum, for counts). */
  calc?: 'sum' | 'mean' | 'lastNotNull';
}

/**
 * Table columns' widths in pixels, by the names the collector gives them: short values get what
 * they need, so names, titles and recommendations keep the rest and are not cut at 1600 px.
 */
const COLUMN_WIDTHS: Record<string, number> = {
  Time: 165,
  'Time end': 165,
  'First seen': 165,
  'Last seen': 165,
  Severity: 80,
  Status: 95,
  Anomalies: 95,
  Id: 190,
  Priority: 75,
  Category: 130,
  Execution: 150,
  Robot: 95,
  Host: 105,
  Hosts: 110,
  Version: 75,
  Duration: 95,
  'Error type': 100,
  Workflow: 200,
  Workflows: 210,
  Runs: 70,
  Step: 200,
  Incident: 180,
  Metric: 150,
  'Change point': 200,
  'Baseline median': 145,
  'Current median': 140,
  'Median change': 135,
  'P95 change': 110,
  'p-value': 85,
  'Effect size': 100,
  Degraded: 85,
  'First degraded run': 160,
  'Slope per day': 120,
  'Slope per day (%)': 150,
  'r²': 60,
  Significant: 100,
  Failures: 80,
  'Success rate': 105,
  Business: 85,
  Application: 95,
  System: 75,
  Timeout: 80,
  'New error patterns': 160,
};

/** A data link from a workflow's name to its drill-down, with the range the user is looking at. */
const DRILL_DOWN_LINK = {
  title: 'Drill down into ${__value.raw}',
  url: '/d/rpa-workflow-drilldown/workflow-drill-down?var-workflow=${__value.raw:percentencode}&${__url_time_range}',
};

/** Severity bands, one annotation query each, so each band keeps its colour (Grafana colours by query). */
const ANOMALY_BANDS: Array<{ name: string; min: number; max?: number; color: string }> = [
  { name: 'Anomalies: high (0.7+)', min: 0.7, color: 'red' },
  { name: 'Anomalies: medium (0.5-0.7)', min: 0.5, max: 0.7, color: 'orange' },
  { name: 'Anomalies: low (0.4-0.5)', min: 0.4, max: 0.5, color: 'yellow' },
];

function annotations(filters: Record<string, unknown> = {}) {
  return {
    list: [
      {
        builtIn: 1,
        datasource: { type: 'grafana', uid: '-- Grafana --' },
        enable: true,
        hide: true,
        iconColor: 'rgba(0, 211, 255, 1)',
        name: 'Annotations & Alerts',
        type: 'dashboard',
      },
      ...ANOMALY_BANDS.map((band, i) => ({
        name: band.name,
        datasource: RPA,
        enable: true,
        iconColor: band.color,
        target: {
          refId: `anomalies${i}`,
          queryType: 'annotations',
          annotationType: 'anomalies',
          minSeverity: band.min,
          ...(band.max !== undefined ? { maxSeverity: band.max } : {}),
          ...filters,
        },
      })),
      {
        name: 'Incidents',
        datasource: RPA,
        enable: true,
        iconColor: 'purple',
        target: { refId: 'incidents', queryType: 'annotations', annotationType: 'incidents', ...filters },
      },
      {
        name: 'Version changes',
        datasource: RPA,
        enable: true,
        iconColor: 'blue',
        target: { refId: 'versions', queryType: 'annotations', annotationType: 'versions', ...filters },
      },
      {
        name: 'Insights implemented',
        datasource: RPA,
        enable: true,
        iconColor: 'green',
        target: { refId: 'insights', queryType: 'annotations', annotationType: 'insights', ...filters },
      },
    ],
  };
}

function variable(name: string, label: string, kind: string, options: { multi: boolean; workflow?: string[] }) {
  const query = { refId: `variable-${name}`, kind, ...(options.workflow ? { workflow: options.workflow } : {}) };
  return {
    name,
    label,
    type: 'query',
    datasource: RPA,
    query,
    definition: `${kind}${options.workflow ? ` of ${options.workflow.join(', ')}` : ''}`,
    refresh: 1,
    multi: options.multi,
    includeAll: options.multi,
    ...(options.multi ? { current: { selected: true, text: ['All'], value: ['$__all'] } } : {}),
    sort: 1,
    options: [],
  };
}

/** Lays panels out left to right, wrapping at the grid's 24 columns. */
function layout(panels: PanelSpec[]) {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return panels.map((p, i) => {
    if (x + p.w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { x, y, w: p.w, h: p.h };
    x += p.w;
    rowHeight = Math.max(rowHeight, p.h);
    return {
      id: i + 1,
      type: p.type,
      title: p.title,
      ...(p.description ? { description: p.description } : {}),
      datasource: RPA,
      gridPos,
      targets: p.targets.map((t) => ({ datasource: RPA, ...t })),
      fieldConfig: {
        defaults: { ...(p.unit ? { unit: p.unit } : {}) },
        overrides: [
          ...(p.drillDown ? [{ matcher: { id: 'byName', options: p.drillDown }, properties: [{ id: 'links', value: [DRILL_DOWN_LINK] }] }] : []),
          ...(p.type === 'table'
            ? Object.entries(COLUMN_WIDTHS).map(([name, width]) => ({
                matcher: { id: 'byName', options: name },
                properties: [{ id: 'custom.width', value: width }],
              }))
            : []),
          ...(p.hide ?? []).map((name) => ({
            matcher: { id: 'byName', options: name },
            properties: [{ id: 'custom.hideFrom', value: { viz: true, legend: false, tooltip: false } }],
          })),
        ],
      },
      options:
        p.type === 'table'
          ? { showHeader: true, cellHeight: 'sm' }
          : p.type === 'stat'
            ? { reduceOptions: { calcs: [p.calc ?? 'sum'], fields: '', values: false }, colorMode: 'value', graphMode: 'area' }
            : { legend: { showLegend: true, displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi', sort: 'desc' } },
    };
  });
}

function dashboard(
  uid: string,
  title: string,
  description: string,
  panels: PanelSpec[],
  templating: unknown[] = [],
  annotationFilters: Record<string, unknown> = {},
) {
  return {
    uid,
    title,
    description,
    tags: ['rpa', 'rpa-analytics'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '1m',
    time: { from: 'now-7d', to: 'now' },
    templating: { list: templating },
    annotations: annotations(annotationFilters),
    panels: layout(panels),
    links: [{ title: 'RPA dashboards', type: 'dashboards', tags: ['rpa-analytics'], asDropdown: true, includeVars: false, keepTime: true }],
  };
}

const series = (refId: string, target: Record<string, unknown>): Target => ({ refId, queryType: 'timeseries', ...target });

/** The overview's filters: every workflow and host until narrowed (All sends no filter). */
const OVERVIEW_FILTERS = { workflow: ['$workflow'], host: ['$host'] };

export function dashboards() {
  return {
    'fleet-overview': dashboard(
      'rpa-fleet-overview',
      'RPA Fleet Overview',
      'Every workflow of the fleet: volume, success, run times, anomalies and the insights worth acting on.',
      [
        { title: 'Runs', type: 'stat', w: 6, h: 5, targets: [series('A', { ...OVERVIEW_FILTERS, metric: 'runs' })] },
        { title: 'Failures', type: 'stat', w: 6, h: 5, targets: [series('A', { ...OVERVIEW_FILTERS, metric: 'failures' })] },
        // The hourly rates' mean: their sum (a count's calculation) read 32098% over a week.
        {
          title: 'Success rate',
          type: 'stat',
          w: 6,
          h: 5,
          unit: 'percent',
          calc: 'mean',
          targets: [series('A', { ...OVERVIEW_FILTERS, metric: 'success_rate', aggregation: 'avg' })],
          description: 'Mean of the hourly success rates in the range',
        },
        {
          title: 'Timeouts',
          type: 'stat',
          w: 6,
          h: 5,
          targets: [series('A', { ...OVERVIEW_FILTERS, metric: 'runs', status: ['timeout'] })],
          description: 'Runs that hit their time limit in the range',
        },
        {
          title: 'Incidents',
          type: 'table',
          w: 24,
          h: 7,
          targets: [{ refId: 'A', queryType: 'incidents', ...OVERVIEW_FILTERS, topN: 20 }],
          description: 'Problems by cause, newest first: what they hit and how severe',
        },
        {
          title: 'Runs as they happen',
          type: 'table',
          w: 24,
          h: 8,
          targets: [{ refId: 'A', queryType: 'executions', ...OVERVIEW_FILTERS, topN: 50, live: true }],
          description: 'Live: new and updated runs appear as the collector records them, one row a run in its latest state',
          drillDown: 'Workflow',
        },
        {
          title: 'Runs per workflow',
          type: 'timeseries',
          w: 12,
          h: 8,
          targets: [series('A', { ...OVERVIEW_FILTERS, metric: 'runs', groupBy: ['workflow'], alias: '{{workflow}}' })],
        },
        {
          title: 'Success rate per workflow',
          type: 'timeseries',
          w: 12,
          h: 8,
          unit: 'percent',
          targets: [series('A', { ...OVERVIEW_FILTERS, metric: 'success_rate', groupBy: ['workflow'], alias: '{{workflow}}' })],
        },
        {
          title: 'Run time p95 per workflow',
          type: 'timeseries',
          w: 24,
          h: 8,
          unit: 'ms',
          targets: [series('A', { ...OVERVIEW_FILTERS, metric: 'run_duration', aggregation: 'p95', groupBy: ['workflow'], alias: '{{workflow}}' })],
        },
        {
          title: 'Workflow statistics',
          type: 'table',
          w: 24,
          h: 9,
          targets: [{ refId: 'A', queryType: 'stats', workflow: ['$workflow'] }],
          drillDown: 'Workflow',
        },
        {
          title: 'Top insights',
          type: 'table',
          w: 24,
          h: 8,
          targets: [{ refId: 'A', queryType: 'insights', workflow: ['$workflow'], topN: 10 }],
          drillDown: 'Workflow',
        },
      ],
      [variable('workflow', 'Workflow', 'workflows', { multi: true }), variable('host', 'Host', 'hosts', { multi: true })],
      // By workflow only: a host filter keeps only host anomalies (a workflow's have no host).
      { workflow: ['$workflow'] },
    ),
    'workflow-drilldown': dashboard(
      'rpa-workflow-drilldown',
      'Workflow Drill-down',
      'One workflow in depth: its run times, steps, bottlenecks, degradation, failures and runs.',
      [
        {
          title: 'Run time ($workflow)',
          type: 'timeseries',
          w: 12,
          h: 8,
          unit: 'ms',
          targets: [
            series('A', { workflow: ['$workflow'], host: ['$host'], metric: 'run_duration', aggregation: 'p50', alias: 'median' }),
            series('B', { workflow: ['$workflow'], host: ['$host'], metric: 'run_duration', aggregation: 'p95', alias: 'p95' }),
          ],
        },
        {
          title: 'Step times',
          type: 'timeseries',
          w: 12,
          h: 8,
          unit: 'ms',
          targets: [
            series('A', {
              workflow: ['$workflow'],
              step: ['$step'],
              host: ['$host'],
              metric: 'step_duration',
              aggregation: 'avg',
              groupBy: ['step'],
              alias: '{{step}}',
            }),
          ],
        },
        {
          title: 'Failures by error type',
          type: 'timeseries',
          w: 12,
          h: 8,
          targets: [series('A', { workflow: ['$workflow'], host: ['$host'], metric: 'failures', groupBy: ['error_type'], alias: '{{error_type}}' })],
        },
        {
          title: 'Runs by host',
          type: 'timeseries',
          w: 12,
          h: 8,
          targets: [series('A', { workflow: ['$workflow'], host: ['$host'], metric: 'runs', groupBy: ['host'], alias: '{{host}}' })],
        },
        { title: 'Statistics', type: 'table', w: 24, h: 5, targets: [{ refId: 'A', queryType: 'stats', workflow: ['$workflow'] }] },
        // Full width, each: the degradation's eleven columns do not fit half a row at 1600 px.
        {
          title: 'Bottleneck steps',
          type: 'table',
          w: 24,
          h: 9,
          targets: [{ refId: 'A', queryType: 'bottlenecks', workflow: ['$workflow'], step: ['$step'] }],
        },
        {
          title: 'Degradation and trend',
          type: 'table',
          w: 24,
          h: 9,
          targets: [
            { refId: 'A', queryType: 'degradation', workflow: ['$workflow'] },
            { refId: 'B', queryType: 'trend', workflow: ['$workflow'] },
          ],
        },
        { title: 'Success and exceptions', type: 'table', w: 24, h: 5, targets: [{ refId: 'A', queryType: 'success', workflow: ['$workflow'] }] },
        {
          title: 'Latest runs',
          type: 'table',
          w: 24,
          h: 10,
          targets: [{ refId: 'A', queryType: 'executions', workflow: ['$workflow'], host: ['$host'], topN: 100 }],
        },
      ],
      [
        variable('workflow', 'Workflow', 'workflows', { multi: false }),
        variable('step', 'Step', 'steps', { multi: true, workflow: ['$workflow'] }),
        variable('host', 'Host', 'hosts', { multi: true }),
      ],
      { workflow: ['$workflow'] },
    ),
    'hosts-resources': dashboard(
      'rpa-hosts-resources',
      'Hosts and Resources',
      'What the robot hosts were doing: CPU, memory, disk and network, and the runs they carried.',
      [
        {
          title: 'CPU',
          type: 'timeseries',
          w: 12,
          h: 8,
          unit: 'percent',
          targets: [{ refId: 'A', queryType: 'resources', host: ['$host'], metric: 'host_cpu', aggregation: 'avg', alias: '{{host}}' }],
        },
        {
          title: 'Memory in use',
          type: 'timeseries',
          w: 12,
          h: 8,
          unit: 'percent',
          targets: [{ refId: 'A', queryType: 'resources', host: ['$host'], metric: 'host_memory', aggregation: 'avg', alias: '{{host}}' }],
        },
        {
          title: 'Disk space used',
          type: 'timeseries',
          w: 12,
          h: 8,
          unit: 'percent',
          targets: [{ refId: 'A', queryType: 'resources', host: ['$host'], metric: 'host_disk', aggregation: 'max', alias: '{{host}}' }],
          description: 'Space used on the volume robots work on, for hosts whose agent reports it: the analysis forecasts when it is full',
        },
        {
          title: 'Disk I/O',
          type: 'timeseries',
          w: 12,
          h: 8,
          unit: 'Bps',
          targets: [
            { refId: 'A', queryType: 'resources', host: ['$host'], metric: 'disk_read', alias: '{{host}} read' },
            { refId: 'B', queryType: 'resources', host: ['$host'], metric: 'disk_write', alias: '{{host}} write' },
          ],
        },
        {
          title: 'Network I/O',
          type: 'timeseries',
          w: 12,
          h: 8,
          unit: 'Bps',
          targets: [
            { refId: 'A', queryType: 'resources', host: ['$host'], metric: 'net_rx', alias: '{{host}} in' },
            { refId: 'B', queryType: 'resources', host: ['$host'], metric: 'net_tx', alias: '{{host}} out' },
          ],
        },
        {
          title: 'GPU',
          type: 'timeseries',
          w: 12,
          h: 8,
          unit: 'percent',
          targets: [{ refId: 'A', queryType: 'resources', host: ['$host'], metric: 'host_gpu', aggregation: 'avg', alias: '{{host}}' }],
          description: 'Hosts whose agent reports a GPU',
        },
        {
          title: 'Runs per host',
          type: 'timeseries',
          w: 24,
          h: 8,
          targets: [series('A', { host: ['$host'], metric: 'runs', groupBy: ['host'], alias: '{{host}}' })],
        },
      ],
      [variable('host', 'Host', 'hosts', { multi: true })],
      { host: ['$host'] },
    ),
    'anomalies-insights': dashboard(
      'rpa-anomalies-insights',
      'Anomalies and Insights',
      'What is abnormal now and what to do about it: anomalies with their recommended actions, and prioritised insights.',
      [
        {
          title: 'Failures per workflow',
          type: 'timeseries',
          w: 24,
          h: 8,
          targets: [series('A', { metric: 'failures', groupBy: ['workflow'], alias: '{{workflow}}' })],
        },
        {
          title: 'Incidents',
          type: 'table',
          w: 24,
          h: 8,
          targets: [{ refId: 'A', queryType: 'incidents', topN: 100 }],
          description: 'Anomalies grouped by cause, each titled by it',
        },
        // Their end and incident are in the incidents table above: the description and action keep the room.
        {
          title: 'Anomalies',
          type: 'table',
          w: 24,
          h: 10,
          targets: [{ refId: 'A', queryType: 'anomalies', topN: 200 }],
          drillDown: 'Workflow',
          hide: ['Time end', 'Incident'],
        },
        { title: 'Insights', type: 'table', w: 24, h: 10, targets: [{ refId: 'A', queryType: 'insights' }] },
        { title: 'Degradation', type: 'table', w: 24, h: 9, targets: [{ refId: 'A', queryType: 'degradation' }] },
        // Full width: eight counts and a workflow leave half a row's top error a few letters.
        { title: 'Success and exceptions', type: 'table', w: 24, h: 9, targets: [{ refId: 'A', queryType: 'success' }] },
      ],
    ),
  };
}
