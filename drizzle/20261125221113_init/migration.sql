CREATE TYPE "role" AS ENUM('ADMIN', 'OPERATOR', 'VIEWER');--> statement-breakpoint
CREATE TYPE "token_kind" AS ENUM('SESSION', 'API');--> statement-breakpoint
CREATE TYPE "image_type" AS ENUM('SINGLE_DISK_RESIZABLE', 'MULTIPLE_PARTITION_SINGLE_DISK', 'MULTIPLE_PARTITION_ALL_DISKS', 'RAW');--> statement-breakpoint
CREATE TYPE "os_type" AS ENUM('WINDOWS_7', 'WINDOWS_8', 'WINDOWS_8_1', 'WINDOWS_10', 'WINDOWS_11', 'LINUX', 'OTHER');--> statement-breakpoint
CREATE TYPE "multicast_receiver_state" AS ENUM('EXPECTED', 'JOINED', 'RECEIVING', 'COMPLETE', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "multicast_session_state" AS ENUM('WAITING', 'RUNNING', 'COMPLETE', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "storage_role" AS ENUM('MASTER', 'REPLICA');--> statement-breakpoint
CREATE TYPE "task_state" AS ENUM('QUEUED', 'CHECKED_IN', 'IN_PROGRESS', 'COMPLETE', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "task_type" AS ENUM('DEPLOY', 'CAPTURE', 'DEBUG', 'MEMTEST', 'TEST_DISK', 'DISK_SURFACE_TEST', 'RECOVER', 'MULTICAST', 'INVENTORY', 'PASSWORD_RESET', 'ALL_SNAPINS', 'SINGLE_SNAPIN', 'WAKE_UP', 'DEPLOY_DEBUG', 'CAPTURE_DEBUG', 'DEPLOY_WITHOUT_SNAPINS', 'FAST_WIPE', 'NORMAL_WIPE', 'FULL_WIPE');--> statement-breakpoint
CREATE TABLE "audit_entries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_user_id" uuid,
	"actor_token_id" uuid,
	"actor_name" text NOT NULL,
	"action" text NOT NULL,
	"target_ids" jsonb DEFAULT '[]' NOT NULL,
	"input" jsonb,
	"allowed" boolean NOT NULL,
	"outcome" text NOT NULL,
	"client_address" text,
	"request_id" text
);
--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"kind" "token_kind" NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" text NOT NULL UNIQUE,
	"role" "role" NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"username" text NOT NULL UNIQUE,
	"password_hash" text NOT NULL,
	"role" "role" NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "group_members" (
	"group_id" uuid,
	"host_id" uuid,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "group_members_pkey" PRIMARY KEY("group_id","host_id")
);
--> statement-breakpoint
CREATE TABLE "groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "host_inventories" (
	"host_id" uuid PRIMARY KEY,
	"system_manufacturer" text,
	"system_product" text,
	"system_version" text,
	"system_serial" text,
	"system_uuid" text,
	"chassis_type" text,
	"bios_vendor" text,
	"bios_version" text,
	"bios_date" text,
	"board_manufacturer" text,
	"board_product" text,
	"board_version" text,
	"board_serial" text,
	"board_asset_tag" text,
	"cpu_manufacturer" text,
	"cpu_model" text,
	"cpu_current_speed_mhz" integer,
	"cpu_max_speed_mhz" integer,
	"cpu_cores" integer,
	"memory_bytes" bigint,
	"disks" jsonb DEFAULT '[]' NOT NULL,
	"nics" jsonb DEFAULT '[]' NOT NULL,
	"primary_user" text,
	"other_tags" jsonb DEFAULT '[]' NOT NULL,
	"raw" jsonb DEFAULT '{}' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "host_macs" (
	"mac" text PRIMARY KEY,
	"host_id" uuid NOT NULL,
	"position" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hosts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"system_uuid" uuid,
	"pending" boolean DEFAULT false NOT NULL,
	"primary_disk" text,
	"primary_disk_serial" text,
	"last_seen_at" timestamp with time zone,
	"online" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "image_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"image_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"size_bytes" bigint NOT NULL,
	"stored_bytes" bigint NOT NULL,
	"block_count" integer NOT NULL,
	"manifest_hash" text NOT NULL,
	"manifest" jsonb,
	"created_by_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"current" boolean DEFAULT false NOT NULL,
	CONSTRAINT "image_versions_image_number_key" UNIQUE("image_id","number")
);
--> statement-breakpoint
CREATE TABLE "images" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"os_type" "os_type" NOT NULL,
	"image_type" "image_type" NOT NULL,
	"protected" boolean DEFAULT false NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "multicast_receivers" (
	"session_id" uuid,
	"host_id" uuid,
	"task_id" uuid,
	"state" "multicast_receiver_state" DEFAULT 'EXPECTED'::"multicast_receiver_state" NOT NULL,
	"blocks_done" bigint DEFAULT 0 NOT NULL,
	"bytes_done" bigint DEFAULT 0 NOT NULL,
	"joined_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "multicast_receivers_pkey" PRIMARY KEY("session_id","host_id")
);
--> statement-breakpoint
CREATE TABLE "multicast_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"name" text NOT NULL,
	"image_id" uuid,
	"image_version_id" uuid,
	"expected_receivers" integer DEFAULT 0 NOT NULL,
	"min_receivers" integer NOT NULL,
	"max_wait_seconds" integer NOT NULL,
	"rate_limit_bytes_per_second" bigint,
	"state" "multicast_session_state" DEFAULT 'WAITING'::"multicast_session_state" NOT NULL,
	"failure_reason" text,
	"created_by_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "storage_nodes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"name" text NOT NULL,
	"url" text NOT NULL,
	"role" "storage_role" DEFAULT 'REPLICA'::"storage_role" NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"max_clients" integer DEFAULT 10 NOT NULL,
	"last_seen_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"type" "task_type" NOT NULL,
	"state" "task_state" DEFAULT 'QUEUED'::"task_state" NOT NULL,
	"host_id" uuid NOT NULL,
	"image_id" uuid,
	"image_version_id" uuid,
	"created_by_id" uuid,
	"scheduled_at" timestamp with time zone,
	"lease_holder" text,
	"lease_expires_at" timestamp with time zone,
	"failure_reason" text,
	"blocks_done" bigint DEFAULT 0 NOT NULL,
	"blocks_total" bigint DEFAULT 0 NOT NULL,
	"bytes_done" bigint DEFAULT 0 NOT NULL,
	"bytes_total" bigint DEFAULT 0 NOT NULL,
	"rate_bytes_per_second" double precision DEFAULT 0 NOT NULL,
	"phase" text,
	"partition" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "audit_entries_at_index" ON "audit_entries" ("at");--> statement-breakpoint
CREATE INDEX "audit_entries_action_index" ON "audit_entries" ("action");--> statement-breakpoint
CREATE INDEX "audit_entries_actor_user_id_index" ON "audit_entries" ("actor_user_id");--> statement-breakpoint
CREATE INDEX "api_tokens_user_id_kind_index" ON "api_tokens" ("user_id","kind");--> statement-breakpoint
CREATE INDEX "group_members_host_id_index" ON "group_members" ("host_id");--> statement-breakpoint
CREATE UNIQUE INDEX "groups_name_lower_key" ON "groups" (lower("name"));--> statement-breakpoint
CREATE INDEX "host_macs_host_id_index" ON "host_macs" ("host_id");--> statement-breakpoint
CREATE UNIQUE INDEX "hosts_name_lower_key" ON "hosts" (lower("name"));--> statement-breakpoint
CREATE INDEX "hosts_created_at_index" ON "hosts" ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "image_versions_one_current" ON "image_versions" ("image_id") WHERE "current";--> statement-breakpoint
CREATE INDEX "image_versions_image_id_index" ON "image_versions" ("image_id");--> statement-breakpoint
CREATE UNIQUE INDEX "images_name_lower_key" ON "images" (lower("name"));--> statement-breakpoint
CREATE INDEX "multicast_receivers_task_id_index" ON "multicast_receivers" ("task_id");--> statement-breakpoint
CREATE UNIQUE INDEX "multicast_sessions_open_name_key" ON "multicast_sessions" (lower("name")) WHERE "state" in ('WAITING', 'RUNNING');--> statement-breakpoint
CREATE INDEX "multicast_sessions_state_index" ON "multicast_sessions" ("state");--> statement-breakpoint
CREATE UNIQUE INDEX "storage_nodes_name_lower_key" ON "storage_nodes" (lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_one_active_imaging_per_host" ON "tasks" ("host_id") WHERE "state" in ('QUEUED', 'CHECKED_IN', 'IN_PROGRESS') and "type" not in ('WAKE_UP', 'ALL_SNAPINS', 'SINGLE_SNAPIN');--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_one_active_capture_per_image" ON "tasks" ("image_id") WHERE "type" = 'CAPTURE' and "state" in ('QUEUED', 'CHECKED_IN', 'IN_PROGRESS');--> statement-breakpoint
CREATE INDEX "tasks_state_index" ON "tasks" ("state");--> statement-breakpoint
CREATE INDEX "tasks_host_id_created_at_index" ON "tasks" ("host_id","created_at");--> statement-breakpoint
CREATE INDEX "tasks_image_id_index" ON "tasks" ("image_id");--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_group_id_groups_id_fkey" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_host_id_hosts_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "host_inventories" ADD CONSTRAINT "host_inventories_host_id_hosts_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "host_macs" ADD CONSTRAINT "host_macs_host_id_hosts_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "image_versions" ADD CONSTRAINT "image_versions_image_id_images_id_fkey" FOREIGN KEY ("image_id") REFERENCES "images"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "image_versions" ADD CONSTRAINT "image_versions_created_by_id_users_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "multicast_receivers" ADD CONSTRAINT "multicast_receivers_session_id_multicast_sessions_id_fkey" FOREIGN KEY ("session_id") REFERENCES "multicast_sessions"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "multicast_receivers" ADD CONSTRAINT "multicast_receivers_host_id_hosts_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "multicast_receivers" ADD CONSTRAINT "multicast_receivers_task_id_tasks_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "multicast_sessions" ADD CONSTRAINT "multicast_sessions_image_id_images_id_fkey" FOREIGN KEY ("image_id") REFERENCES "images"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "multicast_sessions" ADD CONSTRAINT "multicast_sessions_image_version_id_image_versions_id_fkey" FOREIGN KEY ("image_version_id") REFERENCES "image_versions"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "multicast_sessions" ADD CONSTRAINT "multicast_sessions_created_by_id_users_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_host_id_hosts_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_image_id_images_id_fkey" FOREIGN KEY ("image_id") REFERENCES "images"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_image_version_id_image_versions_id_fkey" FOREIGN KEY ("image_version_id") REFERENCES "image_versions"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_created_by_id_users_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL;