-- Room on each page for a row's next version: the per-call documents below are rewritten on
-- most events of a call (ten a second), and an update that finds room on its own page and
-- changes no indexed column is a HOT update, which writes no index entry. Decision 0024.
ALTER TABLE "live_calls" SET (fillfactor = 50);--> statement-breakpoint
ALTER TABLE "live_performance_metrics" SET (fillfactor = 50);--> statement-breakpoint
ALTER TABLE "call_system_config" SET (fillfactor = 50);--> statement-breakpoint
ALTER TABLE "sentiment_analysis" SET (fillfactor = 50);
