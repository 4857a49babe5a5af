import { BrumeError } from '../graphql/brume-error.ts';
import type { TaskType } from './task-kinds.ts';
import type { TaskState } from './task-state-machine.ts';

export class TaskNotFoundError extends BrumeError {
  readonly code = 'TASK_NOT_FOUND';
  readonly id: string;
  constructor(id: string) {
    super('No such task');
    this.id = id;
  }
}

/** The state machine refused the move (or another caller moved the task first). */
export class InvalidTaskTransitionError extends BrumeError {
  readonly code = 'INVALID_TASK_TRANSITION';
  readonly from: TaskState;
  readonly to: TaskState;
  constructor(from: TaskState, to: TaskState) {
    super(`A task cannot go from ${from} to ${to}`);
    this.from = from;
    this.to = to;
  }
}

export class TaskAlreadyFinalError extends BrumeError {
  readonly code = 'TASK_ALREADY_FINAL';
  readonly state: TaskState;
  constructor(state: TaskState) {
    super(`The task is already ${state.toLowerCase()}`);
    this.state = state;
  }
}

const words = (name: string) => name.toLowerCase().replaceAll('_', ' ');

/** Only a QUEUED deploy or capture waits for a unicast slot, so only it can change place. */
export class TaskNotInLineError extends BrumeError {
  readonly code = 'TASK_NOT_IN_LINE';
  readonly state: TaskState;
  readonly type: TaskType;
  constructor(state: TaskState, type: TaskType) {
    super(
      state === 'QUEUED'
        ? `A ${words(type)} task takes no unicast slot, so it waits in no line`
        : `The task is ${words(state)}: only a queued task waits in line`,
    );
    this.state = state;
    this.type = type;
  }
}

/** A FOG task type no part of Brume runs yet: refused rather than queued to wait forever. */
export class TaskTypeUnsupportedError extends BrumeError {
  readonly code = 'TASK_TYPE_UNSUPPORTED';
  readonly type: TaskType;
  constructor(type: TaskType) {
    super(`Brume cannot run ${words(type)} tasks yet: nothing would pick it up`);
    this.type = type;
  }
}

/** Another capture to this image is active: one writer per image. */
export class ImageCaptureInProgressError extends BrumeError {
  readonly code = 'IMAGE_CAPTURE_IN_PROGRESS';
  readonly imageId: string;
  constructor(imageId: string) {
    super('Another capture to this image is in progress');
    this.imageId = imageId;
  }
}
