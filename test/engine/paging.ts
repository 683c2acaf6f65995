import type { Queue } from '../../src/engine/queue.js';
import type { ListQuery } from '../../src/engine/types.js';

/** Every job a listing holds, page after page to the oldest, by following each page's cursor. */
export async function walkOlder(q: Queue, query: ListQuery): Promise<string[]> {
  const out: string[] = [];
  let page = await q.list(query);
  for (;;) {
    out.push(...page.jobs.map((j) => j.id));
    if (page.next_cursor === null) return out;
    page = await q.list({ ...query, cursor: page.next_cursor });
  }
}
