CREATE TABLE "replica_deletions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"image_name" text NOT NULL,
	"deleted_at" timestamp with time zone NOT NULL,
	"nodes_done" uuid[] DEFAULT '{}'::uuid[] NOT NULL
);
