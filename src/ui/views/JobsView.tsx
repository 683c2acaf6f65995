import { Box, Text } from 'ink';
import type { Job, StateCounts } from '../../engine/types.js';
import { JOB_TABS, type JobList, type JobTab } from '../../store/types.js';
import { marksElsewhere } from '../../store/slices/lists.js';
import { Table, type Column } from '../components/Table.js';
import { useDash } from '../context.js';
import { age, attemptsText, compactCount, outcomeText, singleLine, whenText } from '../format.js';
import { STATE_COLORS, useTone } from '../theme.js';

interface ViewProps {
  width: number;
  height: number;
}

/** Columns of a job table; `marks` and `now` come from the store. */
export function jobColumns(marks: readonly string[], now: number, idWidth: number): Column<Job>[] {
  return [
    { key: 'mark', title: ' ', width: 1, priority: 9, text: (j) => (marks.includes(j.id) ? '●' : ' '), color: () => 'magenta' },
    { key: 'id', title: 'ID', width: idWidth, priority: 10, text: (j) => j.id },
    { key: 'state', title: 'STATE', width: 10, priority: 9, text: (j) => j.state, color: (j) => STATE_COLORS[j.state] },
    { key: 'command', title: 'COMMAND', min: 16, flex: 1, priority: 8, text: (j) => singleLine(j.command) },
    { key: 'attempts', title: 'ATT', width: 5, align: 'right', priority: 6, text: attemptsText },
    { key: 'priority', title: 'PRI', width: 4, align: 'right', priority: 2, text: (j) => String(j.priority) },
    { key: 'when', title: 'RUN/TOOK', width: 9, priority: 4, text: (j) => whenText(j, now) },
    { key: 'age', title: 'AGE', width: 4, align: 'right', priority: 3, text: (j) => age(now - j.created_at) },
    { key: 'outcome', title: 'LAST OUTCOME', width: 14, priority: 5, text: outcomeText, color: (j) => (j.last_outcome === 'succeeded' ? 'green' : j.last_outcome ? 'red' : undefined) },
  ];
}

/** Width of the id column: the longest id on the page, within bounds. */
export function idWidth(jobs: readonly Job[]): number {
  return Math.max(8, Math.min(24, Math.max(0, ...jobs.map((j) => j.id.length))));
}

/** Filter, marks, and which way more pages lie, as text. */
export function pageInfoText(p: { search: string; marks: number; elsewhere?: number; prev: boolean; next: boolean; loading?: boolean }): string {
  const parts: string[] = [];
  if (p.loading) parts.push('loading…');
  if (p.search !== '') parts.push(`/${p.search}`);
  if (p.marks > 0) parts.push(`${p.marks} marked${p.elsewhere ? ` (${p.elsewhere} in other tabs)` : ''}`);
  parts.push(`${p.prev ? '▲' : ' '}${p.next ? '▼' : ' '}`);
  return ` ${parts.join(' · ')}`;
}

const SHORT_TAB: Record<JobTab, string> = { all: 'all', pending: 'pend', processing: 'proc', completed: 'done', failed: 'fail', dead: 'dead', cancelled: 'canc' };

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
  const info = pageInfoText({ search: list.search, marks: list.marks.length, elsewhere: marksElsewhere(list), prev: list.prev !== null, next: list.next !== null, loading: !list.loaded && list.jobs.length > 0 });
  const empty = !list.loaded ? 'loading…' : list.search ? `no ${list.tab === 'all' ? '' : `${list.tab} `}jobs match "${list.search}" (Esc clears)` : `no ${list.tab === 'all' ? '' : `${list.tab} `}jobs`;
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
        columns={jobColumns(list.marks, now, idWidth(list.jobs))}
        rows={list.jobs}
        rowKey={(j) => j.id}
        width={props.width}
        height={props.height - 1}
        selected={list.row}
        empty={empty}
        dim={!list.loaded}
        highlight={list.search}
      />
    </Box>
  );
}
