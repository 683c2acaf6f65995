import { Box, Text } from 'ink';
import type { Job } from '../../engine/types.js';
import { Table, type Column } from '../components/Table.js';
import { OutputLines } from '../components/OutputLines.js';
import { useDash } from '../context.js';
import { age, attemptsText, compactCount, lastLine, outcomeText, singleLine, tailLines } from '../format.js';
import { useTone } from '../theme.js';
import { Position, idWidth, orderText, pageInfoText } from './JobsView.js';

/** Lines of the output pane under the DLQ table, for a body of `height` lines. */
export function dlqTailHeight(height: number): number {
  return Math.max(3, Math.min(10, Math.floor(height / 3)));
}

function columns(marks: readonly string[], now: number, idW: number): Column<Job>[] {
  return [
    { key: 'mark', title: ' ', width: 1, priority: 9, text: (j) => (marks.includes(j.id) ? '●' : ' '), color: () => 'magenta' },
    { key: 'id', title: 'ID', width: idW, priority: 10, text: (j) => j.id },
    { key: 'command', title: 'COMMAND', min: 10, flex: 2, priority: 8, text: (j) => singleLine(j.command) },
    { key: 'attempts', title: 'ATT', width: 5, align: 'right', priority: 5, text: attemptsText },
    { key: 'outcome', title: 'LAST OUTCOME', width: 16, priority: 9, text: outcomeText, color: () => 'red' },
    { key: 'died', title: 'DIED', width: 4, align: 'right', priority: 3, text: (j) => (j.finished_at === null ? '' : age(now - j.finished_at)) },
    { key: 'output', title: 'LAST OUTPUT', min: 10, flex: 1, priority: 4, text: (j) => lastLine(j.output) },
  ];
}

/** Dead jobs with how they last ended and the tail of their last output. */
export function DlqView(props: { width: number; height: number }) {
  const tone = useTone();
  const list = useDash((s) => s.lists.dlq);
  const now = useDash((s) => s.now);
  const allDead = useDash((s) => s.header.counts?.dead ?? null);
  // With a filter, how many dead jobs it matches (`N+` past the count's bound).
  const matched = list.search !== '' ? (list.matches?.search === list.search ? list.matches.counts : null) : undefined;
  const dead = matched === undefined ? allDead : matched === null ? null : matched.counts.dead;
  const tail = dlqTailHeight(props.height);
  const selected = list.jobs[list.row];
  const lines = selected ? tailLines(selected.output, tail - 1) : [];
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Box width={props.width}>
        <Box flexGrow={1} flexShrink={1}>
          <Text wrap="truncate">
            <Text bold color={tone('red')}>
              {' '}DLQ{' '}
            </Text>
            <Text dimColor>{dead === null ? '' : matched ? `${compactCount(dead)}${matched.exact ? '' : '+'} dead match · R retries every dead job · d deletes · D deletes all matching` : `${compactCount(dead)} dead · R retries them all · d deletes · D deletes all matching`}</Text>
          </Text>
        </Box>
        <Box flexShrink={0}>
          <Text color={tone('magenta')}>{pageInfoText({ search: list.search, queue: list.queue, sort: orderText(list, 'finished'), marks: list.marks.length, prev: list.prev !== null, next: list.next !== null, loading: !list.loaded && list.jobs.length > 0 })}</Text>
        </Box>
      </Box>
      <Table
        columns={columns(list.marks, now, idWidth(list.jobs))}
        rows={list.jobs}
        rowKey={(j) => j.id}
        width={props.width}
        height={props.height - 2 - tail}
        selected={list.row}
        dim={!list.loaded}
        highlight={list.search}
        empty={!list.loaded ? 'loading…' : list.search ? `no dead jobs match "${list.search}"` : list.queue ? `no dead jobs in queue ${list.queue}` : 'the dead letter queue is empty'}
      />
      <Position id="dlq" list={list} width={props.width} />
      <Box flexDirection="column" height={tail} width={props.width}>
        <Text wrap="truncate" bold>
          {selected ? `── ${selected.id}: ${outcomeText(selected)}${selected.last_error ? ` — ${singleLine(selected.last_error)}` : ''} ` : ''}
        </Text>
        <OutputLines lines={lines} empty="(no output)" show={Boolean(selected)} />
      </Box>
    </Box>
  );
}
