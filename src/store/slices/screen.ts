import type { StateCreator } from 'zustand/vanilla';
import type { Attempt, Dependency, Job } from '../../engine/types.js';
import { sameAttempts, sameJob } from '../equal.js';
import type { DashboardStore } from '../store.js';
import type { DetailState, MainView, Modal, Prompt, StatusLine, Suspend } from '../types.js';

/** What is on screen: the view, the screens and prompts over it, the status line and the clock. */
export interface ScreenSlice {
  db: string;
  view: MainView;
  detail: DetailState | null;
  help: boolean;
  /** First line of the help screen shown (it scrolls when taller than the screen). */
  helpTop: number;
  prompt: Prompt | null;
  modal: Modal | null;
  status: StatusLine | null;
  now: number;
  quit: boolean;
  /** Set while the screen is to be left for a while (the pager); cleared when it is back. */
  suspend: Suspend | null;
  setSuspend(suspend: Suspend | null): void;
  setView(view: MainView): void;
  openDetail(id: string): void;
  setDetailData(id: string, job: Job | null, attempts: readonly Attempt[], error: string | null, dependencies?: readonly Dependency[]): void;
  scrollDetail(scroll: number): void;
  setDetailView(view: { wrap?: boolean; x?: number }): void;
  closeDetail(): void;
  setHelp(open: boolean): void;
  setHelpTop(top: number): void;
  setPrompt(prompt: Prompt | null): void;
  setModal(modal: Modal | null): void;
  setStatus(status: StatusLine | null): void;
  setNow(now: number): void;
  requestQuit(): void;
}

export const createScreenSlice =
  (db: string, now: number): StateCreator<DashboardStore, [], [], ScreenSlice> =>
  (set, get) => ({
    db,
    view: 'jobs',
    detail: null,
    help: false,
    helpTop: 0,
    prompt: null,
    modal: null,
    status: null,
    now,
    quit: false,
    suspend: null,
    setSuspend(suspend) {
      set({ suspend });
    },
    setView(view) {
      if (get().view !== view) set({ view });
    },
    openDetail(id) {
      set({ detail: { id, job: null, attempts: [], dependencies: [], scroll: 0, wrap: false, x: 0, error: null } });
    },
    setDetailData(id, job, attempts, error, dependencies = []) {
      const d = get().detail;
      if (!d || d.id !== id) return;
      const sameData =
        d.error === error &&
        (d.job === job || (d.job !== null && job !== null && sameJob(d.job, job) && d.job.output === job.output)) &&
        sameAttempts(d.attempts, attempts) &&
        d.dependencies.length === dependencies.length &&
        d.dependencies.every((x, i) => x.id === dependencies[i].id && x.state === dependencies[i].state);
      if (!sameData) set({ detail: { ...d, job, attempts, error, dependencies } });
    },
    scrollDetail(scroll) {
      const d = get().detail;
      const s = Math.max(0, Math.floor(scroll));
      if (d && d.scroll !== s) set({ detail: { ...d, scroll: s } });
    },
    setDetailView(view) {
      const d = get().detail;
      if (!d) return;
      const wrap = view.wrap ?? d.wrap;
      const x = Math.max(0, Math.floor(view.x ?? d.x));
      if (wrap !== d.wrap || x !== d.x) set({ detail: { ...d, wrap, x } });
    },
    closeDetail() {
      if (get().detail) set({ detail: null });
    },
    setHelp(open) {
      if (get().help !== open) set({ help: open, helpTop: 0 });
    },
    setHelpTop(top) {
      const t = Math.max(0, Math.floor(top));
      if (get().helpTop !== t) set({ helpTop: t });
    },
    setPrompt(prompt) {
      set({ prompt });
    },
    setModal(modal) {
      set({ modal });
    },
    setStatus(status) {
      set({ status });
    },
    setNow(n) {
      if (get().now !== n) set({ now: n });
    },
    requestQuit() {
      set({ quit: true });
    },
  });
