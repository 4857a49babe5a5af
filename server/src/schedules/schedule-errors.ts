import { BrumeError } from '../graphql/brume-error.ts';

export class TaskScheduleNotFoundError extends BrumeError {
  readonly code = 'TASK_SCHEDULE_NOT_FOUND';
  readonly id: string;
  constructor(id: string) {
    super('No such task schedule');
    this.id = id;
  }
}
