-- A callId may be used again once the first call's live rows have expired, so a roll-up is
-- identified by its live call document, not by callId (which keeps a plain index for reports).
DROP INDEX "call_analytics_by_call_id";--> statement-breakpoint
CREATE UNIQUE INDEX "call_analytics_by_live_call" ON "call_analytics" USING btree ("live_call_id");--> statement-breakpoint
CREATE INDEX "call_analytics_by_call_id" ON "call_analytics" USING btree ("call_id","ended_at");