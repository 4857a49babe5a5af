import { BrumeError } from '../graphql/brume-error.ts';
import type { Role } from './auth-table.ts';

export class InvalidCredentialsError extends BrumeError {
  readonly code = 'INVALID_CREDENTIALS';
  constructor() {
    super('Invalid username or password');
  }
}

export class TooManyAttemptsError extends BrumeError {
  readonly code = 'TOO_MANY_ATTEMPTS';
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(`Too many failed logins; retry in ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class RoleTooHighError extends BrumeError {
  readonly code = 'ROLE_TOO_HIGH';
  readonly requested: Role;
  readonly allowed: Role;
  constructor(requested: Role, allowed: Role) {
    super(`A token cannot have role ${requested}: yours is ${allowed}`);
    this.requested = requested;
    this.allowed = allowed;
  }
}

export class ApiTokenNotFoundError extends BrumeError {
  readonly code = 'API_TOKEN_NOT_FOUND';
  readonly id: string;
  constructor(id: string) {
    super('No such API token');
    this.id = id;
  }
}

export class UserNotFoundError extends BrumeError {
  readonly code = 'USER_NOT_FOUND';
  readonly id: string;
  constructor(id: string) {
    super('No such user');
    this.id = id;
  }
}

export class UsernameTakenError extends BrumeError {
  readonly code = 'USERNAME_TAKEN';
  readonly username: string;
  constructor(username: string) {
    super(`Username ${username} is taken`);
    this.username = username;
  }
}

export class WeakPasswordError extends BrumeError {
  readonly code = 'WEAK_PASSWORD';
  readonly reason: string;
  constructor(reason: string) {
    super(`Password ${reason}`);
    this.reason = reason;
  }
}

export class LastAdminError extends BrumeError {
  readonly code = 'LAST_ADMIN';
  constructor() {
    super('This change would leave no enabled ADMIN');
  }
}
