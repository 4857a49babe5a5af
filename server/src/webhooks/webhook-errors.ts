import { BrumeError } from '../graphql/brume-error.ts';

export class WebhookNotFoundError extends BrumeError {
  readonly code = 'WEBHOOK_NOT_FOUND';
  constructor() {
    super('No such webhook');
  }
}

export class WebhookDeliveryNotFoundError extends BrumeError {
  readonly code = 'WEBHOOK_DELIVERY_NOT_FOUND';
  constructor() {
    super('No such webhook delivery');
  }
}

export class InvalidWebhookUrlError extends BrumeError {
  readonly code = 'INVALID_WEBHOOK_URL';
  readonly url: string;
  constructor(url: string) {
    super(
      'A webhook URL is http(s)://host[:port][/path][?query], at most 2048 characters, without credentials or fragment',
    );
    this.url = url.slice(0, 120);
  }
}

export class InvalidWebhookNameError extends BrumeError {
  readonly code = 'INVALID_WEBHOOK_NAME';
  constructor() {
    super('Webhook names are 1-64 characters among A-Z a-z 0-9 . _ -');
  }
}

export class DuplicateWebhookNameError extends BrumeError {
  readonly code = 'DUPLICATE_WEBHOOK_NAME';
  constructor(name: string) {
    super(`A webhook named ${name} already exists`);
  }
}
