import type { RenderOptions } from 'ink';

/**
 * How the dashboard is rendered. `incrementalRendering` makes Ink rewrite only the lines that
 * changed since the last frame instead of erasing and writing every line: an idle dashboard whose
 * clock moves writes one or two lines a second instead of the whole screen (figures in
 * test/ui/render-bytes.test.tsx). The frame is kept one line shorter than the terminal (see App),
 * so Ink never falls back to clearing the whole screen; Ink 6.8 then needs its stream wrapped in
 * correctFrameStart (frame-stream.ts) to start each frame on the right line.
 */
export const RENDER_OPTIONS = {
  // Ctrl-C is a binding of `quit` (keys.ts): it leaves the way q and :q do.
  exitOnCtrlC: false,
  patchConsole: true,
  maxFps: 30,
  incrementalRendering: true,
} as const satisfies RenderOptions;
