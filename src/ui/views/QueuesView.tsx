import { Box, Text } from 'ink';
import { limitsSummary } from '../../engine/rules.js';
import type { QueueInfo } from '../../engine/types.js';
import { Table, type Column } from '../components/Table.js';
import { useDash } from '../context.js';
import { compactCount } from '../format.js';
import { STATE_COLORS, useTone } from '../theme.js';

const STATES = ['pending', 'waiting', 'processing', 'completed', 'failed', 'dead', 'cancelled'] as const;
const SHORT: Record<(typeof STATES)[number], string> = { pending: 'PEND', waiting: 'WAIT', processing: 'PROC', completed: 'DONE', failed: 'FAIL', dead: 'DEAD', cancelled: 'CANC' };

function columns(): Column<QueueInfo>[] {
  return [
    { key: 'name', title: 'QUEUE', min: 10, flex: 1, priority: 10, text: (q) => q.name },
    { key: 'paused', title: 'STATE', width: 7, priority: 9, text: (q) => (q.paused ? 'paused' : 'active'), color: (q) => (q.paused ? 'yellow' : 'green') },
    ...STATES.map(
      (s, i): Column<QueueInfo> => ({
        key: s,
        title: SHORT[s],
        width: 7,
        align: 'right',
        priority: 8 - i,
        text: (q) => compactCount(q.counts[s]),
        color: (q) => (q.counts[s] > 0 ? STATE_COLORS[s] : undefined),
      }),
    ),
    { key: 'limits', title: 'LIMITS', min: 6, flex: 1, priority: 0, text: (q) => limitsSummary(q) },
  ];
}

/** Every queue that holds jobs or has settings, with its counts per state and whether it is paused. */
export function QueuesView(props: { width: number; height: number }) {
  const tone = useTone();
  const queues = useDash((s) => s.queues);
  const row = useDash((s) => s.queuesRow);
  const list = queues ?? [];
  const paused = list.filter((q) => q.paused).length;
  // More queues than lines: scroll so the selected one stays in sight.
  const visible = Math.max(1, props.height - 2);
  const start = Math.max(0, Math.min(row - visible + 1, list.length - visible));
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Text wrap="truncate">
        <Text bold> QUEUES </Text>
        <Text dimColor>{queues === null ? 'loading…' : `${list.length} queue${list.length === 1 ? '' : 's'}`}</Text>
        {paused > 0 ? <Text color={tone('yellow')}> · {paused} paused</Text> : null}
        <Text dimColor> · p pause/resume · Enter its jobs</Text>
      </Text>
      <Table
        columns={columns()}
        rows={list.slice(start, start + visible)}
        rowKey={(q) => q.name}
        width={props.width}
        height={props.height - 1}
        selected={row - start}
        empty={queues === null ? 'loading…' : 'no queues yet (a queue appears with its first job)'}
      />
    </Box>
  );
}
