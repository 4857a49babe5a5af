CREATE TABLE "deleted_image_versions" (
	"manifest_hash" text PRIMARY KEY,
	"image_name" text NOT NULL,
	"number" integer NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"manifest_file_gone" boolean DEFAULT false NOT NULL
);
