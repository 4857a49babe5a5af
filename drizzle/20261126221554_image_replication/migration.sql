CREATE TYPE "replica_state" AS ENUM('REPLICATING', 'DONE', 'FAILED');--> statement-breakpoint
CREATE TABLE "image_replicas" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"storage_node_id" uuid NOT NULL,
	"image_version_id" uuid NOT NULL,
	"state" "replica_state" NOT NULL,
	"chunks_sent" integer DEFAULT 0 NOT NULL,
	"bytes_sent" bigint DEFAULT 0 NOT NULL,
	"error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "image_replicas_node_version_key" UNIQUE("storage_node_id","image_version_id")
);
--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "replicate" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "replica_of" text;--> statement-breakpoint
ALTER TABLE "storage_nodes" ADD COLUMN "replication_token" text;--> statement-breakpoint
CREATE INDEX "image_replicas_image_version_id_index" ON "image_replicas" ("image_version_id");--> statement-breakpoint
ALTER TABLE "image_replicas" ADD CONSTRAINT "image_replicas_storage_node_id_storage_nodes_id_fkey" FOREIGN KEY ("storage_node_id") REFERENCES "storage_nodes"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "image_replicas" ADD CONSTRAINT "image_replicas_image_version_id_image_versions_id_fkey" FOREIGN KEY ("image_version_id") REFERENCES "image_versions"("id") ON DELETE CASCADE;