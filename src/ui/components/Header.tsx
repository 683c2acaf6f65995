import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import type { JobState } from '../../engine/types.js';
import { useDash } from '../context.js';
import { compactCount, rate } from '../format.js';
import { useTone } from '../theme.js';
import { Sparkline } from './Sparkline.js';
import { StatusBadge } from './StatusBadge.js';

const SHOWN: readonly JobState[] = ['pending', 'waiting', 'processing', 'completed', 'failed', 'dead', 'cancelled'];
const SHORT: Record<JobState, string> = { pending: 'pend', waiting: 'wait', processing: 'proc', completed: 'done', failed: 'fail', dead: 'dead', cancelled: 'canc' };

/**
 * Two lines: the database, the workers and a throughput sparkline; then the count of jobs in each
 * state, in their colours, and what finished in the last minute.
 */
export function Header(props: { width: number }) {
  const tone = useTone();
  const db = useDash((s) => s.db);
  const counts = useDash((s) => s.header.counts);
  const lastMinute = useDash((s) => s.header.lastMinute);
  const history = useDash((s) => s.header.history);
  const paused = useDash((s) => s.header.paused);
  const workers = useDash(
    useShallow((s) => {
      let busy = 0;
      let idle = 0;
      let bad = 0;
      for (const w of s.workers) {
        if (w.health !== 'ok') bad++;
        else if (w.state === 'busy') busy++;
        else idle++;
      }
      return { busy, idle, bad };
    }),
  );
  // Waiting jobs are counted only when there are some: most queues never have any, and the line is short of room.
  const shown = counts !== null && counts.waiting > 0 ? SHOWN : SHOWN.filter((st) => st !== 'waiting');
  // Full state names when the whole line fits, else short ones.
  const full = counts === null ? 0 : shown.reduce((n, st) => n + st.length + compactCount(counts[st]).length + 3, 0);
  const narrow = full + 24 + compactCount(lastMinute.completed).length + compactCount(lastMinute.failed).length > props.width;
  const latest = history.length > 0 ? history[history.length - 1] : 0;
  // Below 80 columns the sparkline goes, so the database, the workers and the rate keep apart.
  const sparkWidth = props.width < 80 ? 0 : Math.max(8, Math.min(30, Math.floor(props.width / 5)));
  const workerText = `workers ${workers.busy} busy ${workers.idle} idle${workers.bad > 0 ? ` ${workers.bad} lost` : ''}`;
  // "queuectl " and a gap of two before the workers; the rate takes 7 and the sparkline a gap of two.
  const dbRoom = Math.max(4, props.width - 9 - 2 - workerText.length - (sparkWidth > 0 ? sparkWidth + 2 : 0) - 7);
  const dbText = db.length > dbRoom ? `…${db.slice(db.length - dbRoom + 1)}` : db;
  return (
    <Box flexDirection="column" width={props.width}>
      <Box width={props.width}>
        <Box flexGrow={1} flexShrink={1} marginRight={2}>
          <Text wrap="truncate">
            <Text bold>queuectl</Text>
            <Text dimColor> {dbText}</Text>
          </Text>
        </Box>
        <Box flexShrink={0}>
          <Text>
            <Text color={tone(workers.bad > 0 ? 'yellow' : undefined)}>{workerText}</Text>
            {sparkWidth > 0 ? '  ' : ''}
          </Text>
          {sparkWidth > 0 ? <Sparkline values={history} width={sparkWidth} /> : null}
          <Text> {rate(latest).padStart(6)}</Text>
        </Box>
      </Box>
      <Text wrap="truncate">
        {counts === null ? (
          <Text dimColor>loading…</Text>
        ) : (
          shown.map((state) => (
            <Text key={state}>
              <StatusBadge state={state} label={narrow ? SHORT[state] : state} /> <Text bold>{compactCount(counts[state])}</Text>
              {'  '}
            </Text>
          ))
        )}
        <Text dimColor>{narrow && props.width < 80 ? '1m ' : 'last 1m '}</Text>
        <Text color={tone('green')}>✓{compactCount(lastMinute.completed)}</Text>{' '}
        <Text color={tone(lastMinute.failed > 0 ? 'red' : undefined)}>✗{compactCount(lastMinute.failed)}</Text>
        {paused.length > 0 ? <Text color={tone('yellow')}>{`  ⏸ paused: ${paused.join(', ')}`}</Text> : null}
      </Text>
    </Box>
  );
}
