-- The event log is keyed by (call, seq) alone: its random "id" was a second index written on
-- every event, and nothing looked a row up by it. Decision 0029. Dropping "id" drops the old
-- primary key with it; the (call, seq) unique index gives way to the new one.
ALTER TABLE "call_events" DROP COLUMN "id";--> statement-breakpoint
ALTER TABLE "call_events" DROP COLUMN "creation_time";--> statement-breakpoint
ALTER TABLE "call_events" ADD CONSTRAINT "call_events_pkey" PRIMARY KEY("live_call_id","seq");--> statement-breakpoint
DROP INDEX "call_events_by_call_seq";
