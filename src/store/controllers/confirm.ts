import type { JobActions } from './job-actions.js';
import type { Scope } from './scope.js';
import type { WorkerActions } from './worker-actions.js';

/** The answer to a confirmation: the asked action is carried out by the controller that asked, or nothing is done. */
export class ConfirmController {
  constructor(
    private readonly x: Scope,
    private readonly jobs: JobActions,
    private readonly workers: WorkerActions,
  ) {}

  async answer(yes: boolean): Promise<void> {
    const m = this.x.s.modal;
    if (!m || m.kind !== 'confirm') return;
    this.x.s.setModal(null);
    if (!yes) {
      this.x.status({ text: 'nothing done', tone: 'info' });
      return;
    }
    return m.action.kind === 'stop-all' ? this.workers.stopAll() : this.jobs.run(m.action);
  }
}
