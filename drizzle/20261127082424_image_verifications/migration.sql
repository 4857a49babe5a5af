CREATE TYPE "verification_state" AS ENUM('QUEUED', 'RUNNING', 'PASSED', 'DAMAGED', 'ABORTED');--> statement-breakpoint
CREATE TABLE "image_verifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"image_version_id" uuid NOT NULL,
	"state" "verification_state" DEFAULT 'QUEUED'::"verification_state" NOT NULL,
	"chunks_total" integer NOT NULL,
	"chunks_checked" integer DEFAULT 0 NOT NULL,
	"bytes_checked" bigint DEFAULT 0 NOT NULL,
	"problem_count" integer DEFAULT 0 NOT NULL,
	"problems" jsonb DEFAULT '[]' NOT NULL,
	"reason" text,
	"requested_by_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "image_verifications_image_version_id_created_at_index" ON "image_verifications" ("image_version_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "image_verifications_one_active" ON "image_verifications" ("image_version_id") WHERE "state" in ('QUEUED', 'RUNNING');--> statement-breakpoint
ALTER TABLE "image_verifications" ADD CONSTRAINT "image_verifications_image_version_id_image_versions_id_fkey" FOREIGN KEY ("image_version_id") REFERENCES "image_versions"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "image_verifications" ADD CONSTRAINT "image_verifications_requested_by_id_users_id_fkey" FOREIGN KEY ("requested_by_id") REFERENCES "users"("id") ON DELETE SET NULL;