/**
 * Every domain's tables, for drizzle-kit and for the migrator. A domain owns
 * `server/src/<domain>/<domain>-table.ts` and adds ONE `export *` line here.
 */
export * from '../audit/audit-table.ts';
export * from '../auth/auth-table.ts';
export * from '../groups/groups-table.ts';
export * from '../hosts/hosts-table.ts';
export * from '../images/images-table.ts';
export * from '../multicast/multicast-table.ts';
export * from '../replication/replication-table.ts';
export * from '../schedules/schedules-table.ts';
export * from '../storage/storage-table.ts';
export * from '../tasks/tasks-table.ts';
export * from '../webhooks/webhooks-table.ts';
