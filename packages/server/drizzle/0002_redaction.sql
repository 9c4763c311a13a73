ALTER TABLE "call_analytics" ADD COLUMN "redactions" jsonb;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "redaction" jsonb;--> statement-breakpoint
ALTER TABLE "live_calls" ADD COLUMN "secure_pause_since" text;