CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" text NOT NULL,
	"scopes" jsonb NOT NULL,
	"created_at" double precision NOT NULL,
	"expires_at" double precision,
	"revoked_at" double precision
);
--> statement-breakpoint
CREATE TABLE "call_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"live_call_id" uuid NOT NULL,
	"seq" double precision NOT NULL,
	"type" text NOT NULL,
	"hash" text NOT NULL,
	"received_at" double precision NOT NULL
);
--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "script" jsonb DEFAULT '{"phases":[],"objectives":[]}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "live_transcripts" ADD COLUMN "segment_id" text;--> statement-breakpoint
ALTER TABLE "live_transcripts" ADD COLUMN "seq" double precision;--> statement-breakpoint
ALTER TABLE "call_events" ADD CONSTRAINT "call_events_live_call_id_live_calls_id_fk" FOREIGN KEY ("live_call_id") REFERENCES "public"."live_calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_by_prefix" ON "api_keys" USING btree ("prefix");--> statement-breakpoint
CREATE UNIQUE INDEX "call_events_by_call_seq" ON "call_events" USING btree ("live_call_id","seq");