CREATE TABLE "outbox" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"live_call_id" uuid NOT NULL,
	"call_id" text NOT NULL,
	"action_id" uuid NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text NOT NULL,
	"attempts" integer NOT NULL,
	"next_attempt_at" double precision NOT NULL,
	"last_error" text,
	"delivered_at" double precision,
	"created_at" double precision NOT NULL,
	CONSTRAINT "outbox_status_literal" CHECK ("outbox"."status" in ('pending', 'delivered', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "supervisor_actions" ADD COLUMN "delivery" jsonb;--> statement-breakpoint
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_live_call_id_live_calls_id_fk" FOREIGN KEY ("live_call_id") REFERENCES "public"."live_calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_by_action" ON "outbox" USING btree ("action_id");--> statement-breakpoint
CREATE INDEX "outbox_due" ON "outbox" USING btree ("status","next_attempt_at");