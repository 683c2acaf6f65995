import { Box, Text } from 'ink';
import type { Job, StateCounts } from '../../engine/types.js';
import { JOB_TABS, type JobList, type JobTab, type ListId } from '../../store/types.js';
import { listStart, marksElsewhere } from '../../store/slices/lists.js';
import { listTotal, sortLabel } from '../../store/controllers/navigation.js';
import { Table, type Column } from '../components/Table.js';
import { useDash } from '../context.js';
import { age, attemptsText, compactCount, outcomeText, singleLine, whenText } from '../format.js';
import { STATE_COLORS, useTone } from '../theme.js';
import { keyLabel } from '../keys.js';

interface ViewProps {
  width: number;
  height: number;
}

/** Columns of a job table; `marks` and `now` come from the store. */
export function jobColumns(marks: readonly string[], now: number, idWidth: number, queueWidth = 8): Column<Job>[] {
  return [
    { key: 'mark', title: ' ', width: 1, priority: 9, text: (j) => (marks.includes(j.id) ? '●' : ' '), color: () => 'magenta' },
    { key: 'id', title: 'ID', width: idWidth, priority: 10, text: (j) => j.id },
    { key: 'state', title: 'STATE', width: 10, priority: 9, text: (j) => j.state, color: (j) => STATE_COLORS[j.state] },
    { key: 'command', title: 'COMMAND', min: 16, flex: 1, priority: 8, text: (j) => singleLine(j.command) },
    { key: 'attempts', title: 'ATT', width: 5, align: 'right', priority: 6, text: attemptsText },
    { key: 'priority', title: 'PRI', width: 4, align: 'right', priority: 2, text: (j) => String(j.priority) },
    { key: 'queue', title: 'QUEUE', width: queueWidth, priority: 1, text: (j) => j.queue },
    { key: 'when', title: 'RUN/TOOK', width: 9, priority: 4, text: (j) => whenText(j, now) },
    { key: 'age', title: 'AGE', width: 4, align: 'right', priority: 3, text: (j) => age(now - j.created_at) },
    { key: 'outcome', title: 'LAST OUTCOME', width: 14, priority: 5, text: outcomeText, color: (j) => (j.last_outcome === 'succeeded' ? 'green' : j.last_outcome ? 'red' : undefined) },
  ];
}

/** Width of the id column: the longest id on the page, within bounds. */
export function idWidth(jobs: readonly Job[]): number {
  return Math.max(8, Math.min(24, Math.max(0, ...jobs.map((j) => j.id.length))));
}

/** Width of the queue column: the longest queue name on the page, within bounds. */
export function queueWidth(jobs: readonly Job[]): number {
  return Math.max(5, Math.min(16, Math.max(0, ...jobs.map((j) => j.queue.length))));
}

/** Filter, queue, order, marks, and which way more pages lie, as text. */
export function pageInfoText(p: { search: string; queue?: string | null; sort?: string | null; marks: number; elsewhere?: number; prev: boolean; next: boolean; loading?: boolean }): string {
  const parts: string[] = [];
  if (p.loading) parts.push('loading…');
  if (p.queue) parts.push(`queue ${p.queue}`);
  if (p.search !== '') parts.push(`/${p.search}`);
  if (p.sort) parts.push(`by ${p.sort}`);
  if (p.marks > 0) parts.push(`${p.marks} marked${p.elsewhere ? ` (${p.elsewhere} in other tabs)` : ''}`);
  parts.push(`${p.prev ? '▲' : ' '}${p.next ? '▼' : ' '}`);
  return ` ${parts.join(' · ')}`;
}

/** `rows 29–56 of 202,113`: where the page sits in the table (the total from the counts, when known). */
export function positionText(first: number | null, rows: number, total: number | null): string {
  if (rows === 0) return total === null ? '' : `0 of ${total.toLocaleString('en-US')}`;
  const of = total === null ? '' : ` of ${Math.max(total, (first ?? 0) + rows).toLocaleString('en-US')}`;
  if (first === null) return `${rows.toLocaleString('en-US')} rows${of}`;
  return `rows ${(first + 1).toLocaleString('en-US')}–${(first + rows).toLocaleString('en-US')}${of}`;
}

/** The line under a job table: its position, right-aligned and dim. */
export function Position(props: { id: ListId; list: JobList; width: number }) {
  const total = useDash((s) => listTotal(s, props.id, props.list));
  const rows = Math.min(props.list.jobs.length, props.list.pageSize);
  const text = positionText(listStart(props.list, total), rows, total);
  return (
    <Box width={props.width} justifyContent="flex-end">
      <Text dimColor wrap="truncate">
        {text}
      </Text>
    </Box>
  );
}

/** The order shown in the title: nothing for a table's usual one. */
export function orderText(list: JobList, usual: 'created' | 'finished'): string | null {
  return list.sort === usual && !list.reverse ? null : sortLabel(list.sort, list.reverse);
}

const SHORT_TAB: Record<JobTab, string> = { all: 'all', pending: 'pend', processing: 'proc', completed: 'done', failed: 'fail', dead: 'dead', cancelled: 'canc', waiting: 'wait' };

/**
 * A tab's count: of every job, or with a filter, of the jobs it matches (no number until they
 * are counted; `N+` when counting stopped at its bound).
 */
export function tabCountText(t: JobTab, counts: StateCounts | null, exact = true): string {
  if (counts === null) return '';
  const n = t === 'all' ? Object.values(counts).reduce((a, b) => a + b, 0) : counts[t];
  return ` ${compactCount(n)}${exact ? '' : '+'}`;
}

function Tabs(props: { tab: JobTab; short: boolean; search: string; matches: JobList['matches'] }) {
  const tone = useTone();
  const all = useDash((s) => s.header.counts);
  const filtered = props.search !== '';
  const matched = filtered && props.matches?.search === props.search ? props.matches.counts : null;
  const counts = filtered ? (matched?.counts ?? null) : all;
  return (
    <Text wrap="truncate">
      {JOB_TABS.map((t, i) => {
        const n = tabCountText(t, counts, matched?.exact ?? true);
        const active = t === props.tab;
        return (
          <Text key={t}>
            {i > 0 ? ' ' : ''}
            <Text inverse={active} bold={active} color={tone(t === 'all' ? undefined : STATE_COLORS[t])}>
              {` ${i + 1} ${props.short ? SHORT_TAB[t] : t}${n} `}
            </Text>
          </Text>
        );
      })}
    </Text>
  );
}

/** Jobs of every state, with a tab per state, paged through the whole history. */
export function JobsView(props: ViewProps) {
  const tone = useTone();
  const list = useDash((s) => s.lists.jobs);
  const now = useDash((s) => s.now);
  const info = pageInfoText({ search: list.search, queue: list.queue, sort: orderText(list, 'created'), marks: list.marks.length, elsewhere: marksElsewhere(list), prev: list.prev !== null, next: list.next !== null, loading: !list.loaded && list.jobs.length > 0 });
  const inQueue = list.queue ? ` in queue ${list.queue}` : '';
  const empty = !list.loaded ? 'loading…' : list.search ? `no ${list.tab === 'all' ? '' : `${list.tab} `}jobs${inQueue} match "${list.search}" (${keyLabel('back')} clears)` : `no ${list.tab === 'all' ? '' : `${list.tab} `}jobs${inQueue}`;
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Box width={props.width}>
        <Box flexGrow={1} flexShrink={1}>
          <Tabs tab={list.tab} short={props.width < 110} search={list.search} matches={list.matches} />
        </Box>
        <Box flexShrink={0}>
          <Text color={tone('magenta')}>{info}</Text>
        </Box>
      </Box>
      <Table
        columns={jobColumns(list.marks, now, idWidth(list.jobs), queueWidth(list.jobs))}
        rows={list.jobs}
        rowKey={(j) => j.id}
        width={props.width}
        height={props.height - 2}
        selected={list.row}
        empty={empty}
        dim={!list.loaded}
        highlight={list.search}
      />
      <Position id="jobs" list={list} width={props.width} />
    </Box>
  );
}
