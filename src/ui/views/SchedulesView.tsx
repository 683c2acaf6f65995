import { Box, Text } from 'ink';
import type { ScheduleOverview } from '../../engine/schedule-service.js';
import { describeSpec } from '../../engine/schedules.js';
import { STATE_COLORS } from '../../state-colors.js';
import { Table, type Column } from '../components/Table.js';
import { useDash } from '../context.js';
import { age, duration, outcomeText } from '../format.js';
import type { Color } from '../theme.js';

/** `12-02 13:00Z`: short, and unambiguous across days; seconds only when there are some. */
export function shortFiring(t: number): string {
  const iso = new Date(t).toISOString();
  const secs = iso.slice(17, 19);
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}${secs === '00' ? '' : `:${secs}`}Z`;
}

/** The last run: how it ended and how long ago, or what it is doing now. */
export function lastRunText(o: ScheduleOverview, now: number): string {
  const j = o.last;
  if (j === null) return '-';
  if (j.state === 'completed') return `succeeded ${age(now - (j.finished_at ?? now))} ago`;
  if (j.state === 'dead' || j.state === 'cancelled') return `${j.state} (${outcomeText(j) || '-'})`;
  if (j.state === 'processing') return `running ${j.started_at === null ? '' : duration(now - j.started_at)}`.trim();
  return j.state;
}

function columns(now: number): Column<ScheduleOverview>[] {
  return [
    { key: 'name', title: 'NAME', width: 16, priority: 10, text: (o) => o.schedule.name },
    { key: 'spec', title: 'SPEC', min: 12, flex: 2, priority: 8, text: (o) => describeSpec(o.schedule.spec) },
    {
      key: 'next',
      title: 'NEXT FIRINGS (UTC)',
      min: 14,
      flex: 3,
      priority: 9,
      // The countdown first: it is what a narrow column keeps.
      text: (o) => (o.next.length === 0 ? '-' : `in ${duration(o.next[0] - now)} · ${o.next.map(shortFiring).join(', ')}`),
    },
    {
      key: 'last',
      title: 'LAST RUN',
      width: 18,
      priority: 7,
      text: (o) => lastRunText(o, now),
      color: (o) => (o.last === null ? undefined : (STATE_COLORS[o.last.state] as Color | undefined)),
    },
    { key: 'state', title: 'STATE', width: 7, priority: 9, text: (o) => (o.schedule.paused ? 'paused' : 'active'), color: (o) => (o.schedule.paused ? 'yellow' : undefined) },
    { key: 'command', title: 'COMMAND', min: 10, flex: 1, priority: 5, text: (o) => o.schedule.job.command },
  ];
}

/** Every schedule, opened over the main view by `S` or `:schedules`. */
export function SchedulesView(props: { width: number; height: number }) {
  const { rows, row, loaded } = useDash((s) => s.schedules);
  const now = useDash((s) => s.now);
  const paused = rows.filter((o) => o.schedule.paused).length;
  const visible = Math.max(1, props.height - 2);
  const start = Math.max(0, Math.min(row - visible + 1, rows.length - visible));
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Text wrap="truncate">
        <Text bold> SCHEDULES </Text>
        <Text dimColor>
          {rows.length} {paused > 0 ? `· ${paused} paused ` : ''}· p pause/resume · r run now · Esc back
        </Text>
      </Text>
      <Table
        columns={columns(now)}
        rows={rows.slice(start, start + visible)}
        rowKey={(o) => o.schedule.name}
        width={props.width}
        height={props.height - 1}
        selected={row - start}
        empty={loaded ? 'no schedules (add one: queuectl schedule add <name> --every 5m -- <command>)' : 'loading…'}
      />
    </Box>
  );
}
