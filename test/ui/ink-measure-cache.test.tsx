import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { expect, it } from 'vitest';
import { watchInkMeasureCache } from '../../src/ui/ink-measure-cache.js';

it('finds the cache where Ink keeps every text it measured, while a frame is drawn, and empties it past a limit', () => {
  let ui!: ReturnType<typeof render>;
  const cache = watchInkMeasureCache(() => (ui = render(<Text>{`the first frame ${Math.random()}`}</Text>)));
  expect(cache).not.toBeNull();
  const before = cache!.size();
  for (let i = 0; i < 50; i++) ui.rerender(<Text>{`a text never shown before ${i} ${Math.random()}`}</Text>);
  expect(cache!.size()).toBeGreaterThanOrEqual(before + 50);
  expect(cache!.trim(1_000_000)).toBe(false);
  expect(cache!.trim(10)).toBe(true);
  expect(cache!.size()).toBe(0);
  ui.rerender(<Text>measured again after the trim</Text>);
  expect(ui.lastFrame()).toBe('measured again after the trim');
  expect(cache!.size()).toBe(1);
  ui.unmount();
});
