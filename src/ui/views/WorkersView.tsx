import { Box, Text } from 'ink';
import type { WorkerRow } from '../../store/types.js';
import { Table, type Column } from '../components/Table.js';
import { useDash } from '../context.js';
import { duration, heartbeatAge, workerStateText } from '../format.js';
import { healthColor, useTone } from '../theme.js';
import { keyLabel } from '../keys.js';

function columns(now: number): Column<WorkerRow>[] {
  return [
    { key: 'id', title: 'ID', min: 10, flex: 1, priority: 10, text: (w) => w.id },
    { key: 'pid', title: 'PID', width: 7, align: 'right', priority: 7, text: (w) => String(w.pid) },
    { key: 'host', title: 'HOST', width: 12, priority: 3, text: (w) => w.host },
    { key: 'queue', title: 'QUEUE', width: 8, priority: 2, text: (w) => w.queue ?? '*' },
    {
      key: 'state',
      title: 'STATE',
      width: 11,
      priority: 9,
      text: (w) => workerStateText(w, w.health),
      color: (w) => healthColor(w.health) ?? (w.state === 'busy' ? 'blue' : w.state === 'stopping' || w.stop_requested ? 'yellow' : 'gray'),
    },
    { key: 'job', title: 'JOB', min: 10, flex: 1, priority: 8, text: (w) => w.current_job_id ?? '-' },
    { key: 'for', title: 'FOR', width: 7, align: 'right', priority: 6, text: (w) => (w.job_started_at === null ? '' : duration(now - w.job_started_at)) },
    { key: 'done', title: 'DONE', width: 6, align: 'right', priority: 5, text: (w) => String(w.jobs_done) },
    { key: 'failed', title: 'FAILED', width: 6, align: 'right', priority: 4, text: (w) => String(w.jobs_failed) },
    {
      key: 'beat',
      title: 'HEARTBEAT',
      width: 9,
      align: 'right',
      priority: 7,
      text: (w) => (w.health === 'dead' ? 'gone' : heartbeatAge(w, now)),
      color: (w) => healthColor(w.health),
    },
  ];
}

/** Every registered worker; stale or dead ones are marked. */
export function WorkersView(props: { width: number; height: number }) {
  const tone = useTone();
  const workers = useDash((s) => s.workers);
  const row = useDash((s) => s.workersRow);
  const now = useDash((s) => s.now);
  const lost = workers.filter((w) => w.health !== 'ok').length;
  // More workers than lines: scroll so the selected one stays in sight.
  const visible = Math.max(1, props.height - 2);
  const start = Math.max(0, Math.min(row - visible + 1, workers.length - visible));
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Text wrap="truncate">
        <Text bold> WORKERS </Text>
        <Text dimColor>{workers.length} registered</Text>
        {lost > 0 ? <Text color={tone('yellow')}> · {lost} stale or dead (no heartbeat for a lease, or process gone)</Text> : null}
        <Text dimColor> · + start one · - stop selected · s stop all</Text>
      </Text>
      <Table
        columns={columns(now)}
        rows={workers.slice(start, start + visible)}
        rowKey={(w) => w.id}
        width={props.width}
        height={props.height - 1}
        selected={row - start}
        empty={`no workers running (press ${keyLabel('worker-up')} to start one)`}
      />
    </Box>
  );
}
