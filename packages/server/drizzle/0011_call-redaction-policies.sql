-- The redaction policy each call started with, so that a restart does not take its campaign's
-- policy as it is now (a call started before this has none stored, and takes the campaign's).
CREATE TABLE "call_redaction_policies" (
	"live_call_id" uuid PRIMARY KEY NOT NULL,
	"policy" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "call_redaction_policies" ADD CONSTRAINT "call_redaction_policies_live_call_id_live_calls_id_fk" FOREIGN KEY ("live_call_id") REFERENCES "public"."live_calls"("id") ON DELETE cascade ON UPDATE no action;