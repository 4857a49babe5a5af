CREATE TABLE "task_schedule_hosts" (
	"schedule_id" uuid,
	"host_id" uuid,
	CONSTRAINT "task_schedule_hosts_pkey" PRIMARY KEY("schedule_id","host_id")
);
--> statement-breakpoint
CREATE TABLE "task_schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"name" text NOT NULL,
	"cron" text NOT NULL,
	"timezone" text NOT NULL,
	"type" "task_type" NOT NULL,
	"group_id" uuid,
	"image_id" uuid,
	"enabled" boolean DEFAULT true NOT NULL,
	"next_run_at" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"last_outcome" text,
	"created_by_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "task_schedule_hosts_host_id_index" ON "task_schedule_hosts" ("host_id");--> statement-breakpoint
CREATE INDEX "task_schedules_next_run_at_index" ON "task_schedules" ("next_run_at");--> statement-breakpoint
CREATE INDEX "task_schedules_created_at_index" ON "task_schedules" ("created_at");--> statement-breakpoint
ALTER TABLE "task_schedule_hosts" ADD CONSTRAINT "task_schedule_hosts_schedule_id_task_schedules_id_fkey" FOREIGN KEY ("schedule_id") REFERENCES "task_schedules"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "task_schedule_hosts" ADD CONSTRAINT "task_schedule_hosts_host_id_hosts_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "task_schedules" ADD CONSTRAINT "task_schedules_group_id_groups_id_fkey" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "task_schedules" ADD CONSTRAINT "task_schedules_image_id_images_id_fkey" FOREIGN KEY ("image_id") REFERENCES "images"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "task_schedules" ADD CONSTRAINT "task_schedules_created_by_id_users_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL;