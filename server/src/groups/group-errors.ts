import { BrumeError } from '../graphql/brume-error.ts';

export class InvalidGroupNameError extends BrumeError {
  readonly code = 'INVALID_GROUP_NAME';
  readonly groupName: string;
  constructor(groupName: string) {
    super('Group names are 1-64 letters, digits, spaces or . _ ( ) + -, starting with a letter or digit');
    this.groupName = groupName.slice(0, 80);
  }
}

export class DuplicateGroupNameError extends BrumeError {
  readonly code = 'DUPLICATE_GROUP_NAME';
  readonly groupName: string;
  constructor(groupName: string) {
    super(`A group named ${groupName} already exists`);
    this.groupName = groupName;
  }
}

export class GroupNotFoundError extends BrumeError {
  readonly code = 'GROUP_NOT_FOUND';
  readonly id: string;
  constructor(id: string) {
    super('No such group');
    this.id = id;
  }
}
