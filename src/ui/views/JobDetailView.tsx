import { Box, Text } from 'ink';
import type { Attempt, Dependency, Job } from '../../engine/types.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { Table, type Column } from '../components/Table.js';
import { OutputLines } from '../components/OutputLines.js';
import { useDash } from '../context.js';
import { attemptOutcome, duration, fit, outcomeText, singleLine, timestamp } from '../format.js';
import { COMMAND_LABEL, detailLayout } from '../detail-layout.js';
import { useTone } from '../theme.js';
import { canCancel, retryKind } from '../../store/validity.js';
import { keyLabel, scrollKeys } from '../keys.js';

/** The title's hints: only the actions the job's state allows, then moving around. */
export function detailTitleHints(job: Pick<Job, 'state'>): string {
  const parts = [`${keyLabel('back')} back`];
  const retry = retryKind(job.state);
  if (retry) parts.push(`${keyLabel('retry')} ${retry}`);
  if (canCancel(job.state)) parts.push(`${keyLabel('cancel')} cancel`);
  parts.push(`${scrollKeys()} scroll`);
  return parts.join(' · ');
}

function when(ms: number | null, now: number): string {
  if (ms === null) return '-';
  const d = now - ms;
  const rel = Math.abs(d) < 1000 ? 'now' : d > 0 ? `${duration(d)} ago` : `in ${duration(-d)}`;
  // Within a day the time of day is enough, which keeps two fields to a line on 80 columns.
  const stamp = timestamp(ms);
  return `${Math.abs(d) < 86_400_000 ? stamp.slice(11) : stamp} (${rel})`;
}

/** The fields `queuectl show` prints, as label/value pairs. */
export function detailFields(job: Job, now: number, deps: readonly Dependency[] = []): Array<[string, string]> {
  const pairs: Array<[string, string]> = [
    ['attempts', `${job.attempts} of ${job.max_retries + 1} (max_retries ${job.max_retries})`],
    ['priority', String(job.priority)],
    ['queue', job.queue],
    ['timeout', job.timeout_seconds === null ? 'default' : duration(job.timeout_seconds * 1000)],
    ['created', when(job.created_at, now)],
    ['updated', when(job.updated_at, now)],
  ];
  if (job.state === 'pending' || job.state === 'failed') pairs.push(['runs at', when(job.run_at, now)]);
  if (job.started_at !== null) pairs.push(['started', when(job.started_at, now)]);
  if (job.finished_at !== null) pairs.push(['finished', when(job.finished_at, now)]);
  if (job.worker_id !== null) pairs.push(['worker', job.worker_id]);
  if (job.state === 'processing' && job.lease_expires_at !== null) pairs.push(['lease until', when(job.lease_expires_at, now)]);
  if (job.last_outcome !== null) pairs.push(['last outcome', outcomeText(job)]);
  if (job.exit_code !== null) pairs.push(['exit code', String(job.exit_code)]);
  pairs.push(['cwd', job.cwd]);
  if (job.schedule !== null) pairs.push(['schedule', job.schedule]);
  if (job.unique_key !== null) pairs.push(['unique key', job.unique_until === null ? job.unique_key : `${job.unique_key} (held until ${when(job.unique_until, now)})`]);
  if (deps.length > 0) {
    pairs.push(['after', deps.map((d) => `${d.id} (${d.state ?? 'purged'})`).join(', ')]);
    const open = deps.filter((d) => d.state !== 'completed').map((d) => d.id);
    if (job.state === 'waiting') pairs.push(['waiting for', open.length > 0 ? open.join(', ') : 'nothing (being released)']);
  }
  return pairs;
}

function attemptColumns(now: number): Column<Attempt>[] {
  return [
    { key: 'n', title: '#', width: 3, align: 'right', priority: 10, text: (a) => String(a.n) },
    { key: 'started', title: 'STARTED', width: 19, priority: 6, text: (a) => timestamp(a.started_at) },
    { key: 'took', title: 'DURATION', width: 9, align: 'right', priority: 8, text: (a) => duration((a.finished_at ?? now) - a.started_at) },
    {
      key: 'result',
      title: 'RESULT',
      width: 18,
      priority: 9,
      text: attemptOutcome,
      color: (a) => (a.outcome === null ? 'blue' : a.outcome === 'succeeded' ? 'green' : a.outcome === 'interrupted' ? undefined : 'red'),
    },
    { key: 'worker', title: 'WORKER', width: 16, priority: 4, text: (a) => a.worker_id },
    { key: 'error', title: 'ERROR', min: 10, flex: 1, priority: 5, text: (a) => singleLine(a.error ?? '') },
  ];
}

/** Everything about one job: its fields, its attempts, and its output, followed live while it runs. */
export function JobDetailView(props: { width: number; height: number; }) {
  const tone = useTone();
  const detail = useDash((s) => s.detail);
  const now = useDash((s) => s.now);
  if (!detail) return null;
  const { job } = detail;
  if (!job) {
    return (
      <Box height={props.height} width={props.width}>
        <Text color={tone(detail.error ? 'red' : undefined)}>{detail.error ?? `loading ${detail.id}…`}</Text>
      </Box>
    );
  }
  const fields = detailFields(job, now, detail.dependencies);
  const twoCols = props.width >= 80;
  const colWidth = twoCols ? Math.floor(props.width / 2) : props.width;
  const fieldRows: Array<Array<[string, string]>> = [];
  for (let i = 0; i < fields.length; i += twoCols ? 2 : 1) fieldRows.push(fields.slice(i, i + (twoCols ? 2 : 1)));
  const layout = detailLayout(job, detail.attempts, fields.length, props.width, props.height, detail);
  const { room, rows } = layout;
  const scroll = Math.min(detail.scroll, layout.maxScroll);
  const lines = rows.slice(Math.max(0, rows.length - room - scroll), rows.length - scroll);
  const kept = Buffer.byteLength(job.output);
  const bytes = job.output_bytes > kept ? `last ${kept} of ${job.output_bytes} bytes` : `${job.output_bytes} bytes`;
  const following = scroll === 0 ? (job.state === 'processing' ? 'following live' : 'end') : `scrolled ${scroll} up · G follows`;
  const sideways = detail.wrap ? 'wrapped · w cuts' : layout.widest > props.width ? `cut${detail.x > 0 ? ` from column ${detail.x + 1}` : ''} · ←→ scroll · w wraps` : '';
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Text wrap="truncate">
        <Text bold>{job.id}</Text> <StatusBadge state={job.state} />
        <Text dimColor> · {detailTitleHints(job)}</Text>
      </Text>
      {layout.command.map((l, i) => (
        <Text key={`c${i}`} wrap="truncate">
          <Text dimColor>{i === 0 ? 'command ' : ' '.repeat(COMMAND_LABEL)}</Text>
          {l}
        </Text>
      ))}
      {fieldRows.map((pair, i) => (
        <Text key={i} wrap="truncate">
          {pair.map(([k, v], j) => (
            <Text key={k}>
              <Text dimColor>{fit(k, 13)}</Text>
              {j === 0 && pair.length > 1 ? fit(v, colWidth - 14) + ' ' : v}
            </Text>
          ))}
        </Text>
      ))}
      {job.last_error ? (
        <Text wrap="truncate">
          <Text dimColor>{fit('last error', 13)}</Text>
          <Text color={tone('red')}>{singleLine(job.last_error)}</Text>
        </Text>
      ) : null}
      <Text bold>attempts</Text>
      {detail.attempts.length === 0 ? (
        <Text dimColor>none yet</Text>
      ) : (
        <Table
          columns={attemptColumns(now)}
          rows={detail.attempts.slice(-layout.attemptsShown)}
          rowKey={(a) => String(a.n)}
          width={props.width}
          height={layout.attemptsShown + 1}
          selected={-1}
        />
      )}
      <Box flexDirection="column" height={layout.outputHeight} width={props.width}>
        <Text wrap="truncate">
          <Text bold>output</Text>
          <Text dimColor>
            {' '}
            ({bytes}) · {following}
            {sideways ? ` · ${sideways}` : ''}
          </Text>
        </Text>
        <OutputLines lines={lines} empty="(none)" />
      </Box>
    </Box>
  );
}
