CREATE TABLE "call_analytics" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"call_id" text NOT NULL,
	"live_call_id" uuid NOT NULL,
	"agent_name" text NOT NULL,
	"campaign_id" uuid,
	"campaign_name" text NOT NULL,
	"start_time" text NOT NULL,
	"ended_at" text NOT NULL,
	"end_reason" text NOT NULL,
	"duration_seconds" double precision NOT NULL,
	"agent_talk_percentage" double precision NOT NULL,
	"positive_percentage" double precision NOT NULL,
	"neutral_percentage" double precision NOT NULL,
	"negative_percentage" double precision NOT NULL,
	"sentiment_trend" text NOT NULL,
	"phases" jsonb NOT NULL,
	"metric_averages" jsonb,
	"conversion_probability" double precision,
	"demo_acceptance_probability" double precision,
	"immediate_close_probability" double precision,
	"objectives_completed" integer NOT NULL,
	"objectives_total" integer NOT NULL,
	"supervisor_action_counts" jsonb NOT NULL,
	"transcript_chunks" integer NOT NULL,
	"total_cost" double precision NOT NULL,
	"created_at" double precision NOT NULL,
	CONSTRAINT "call_analytics_endReason_literal" CHECK ("call_analytics"."end_reason" in ('completed', 'customer-hangup', 'agent-hangup', 'transferred', 'voicemail', 'no-answer', 'failed', 'supervisor', 'stale')),
	CONSTRAINT "call_analytics_sentimentTrend_literal" CHECK ("call_analytics"."sentiment_trend" in ('improving', 'stable', 'declining')),
	CONSTRAINT "call_analytics_durationSeconds_range" CHECK ("call_analytics"."duration_seconds" >= 0),
	CONSTRAINT "call_analytics_totalCost_range" CHECK ("call_analytics"."total_cost" >= 0),
	CONSTRAINT "call_analytics_objectivesCompleted_range" CHECK ("call_analytics"."objectives_completed" >= 0),
	CONSTRAINT "call_analytics_objectivesTotal_range" CHECK ("call_analytics"."objectives_total" >= 0),
	CONSTRAINT "call_analytics_transcriptChunks_range" CHECK ("call_analytics"."transcript_chunks" >= 0),
	CONSTRAINT "call_analytics_agentTalkPercentage_range" CHECK ("call_analytics"."agent_talk_percentage" between 0 and 100),
	CONSTRAINT "call_analytics_positivePercentage_range" CHECK ("call_analytics"."positive_percentage" between 0 and 100),
	CONSTRAINT "call_analytics_neutralPercentage_range" CHECK ("call_analytics"."neutral_percentage" between 0 and 100),
	CONSTRAINT "call_analytics_negativePercentage_range" CHECK ("call_analytics"."negative_percentage" between 0 and 100),
	CONSTRAINT "call_analytics_conversionProbability_range" CHECK ("call_analytics"."conversion_probability" between 0 and 100),
	CONSTRAINT "call_analytics_demoAcceptanceProbability_range" CHECK ("call_analytics"."demo_acceptance_probability" between 0 and 100),
	CONSTRAINT "call_analytics_immediateCloseProbability_range" CHECK ("call_analytics"."immediate_close_probability" between 0 and 100)
);
--> statement-breakpoint
CREATE TABLE "call_objectives" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"live_call_id" uuid NOT NULL,
	"objective" text NOT NULL,
	"status" text NOT NULL,
	"completed_at" text,
	"order" double precision NOT NULL,
	CONSTRAINT "call_objectives_status_literal" CHECK ("call_objectives"."status" in ('pending', 'in_progress', 'completed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "call_phases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"live_call_id" uuid NOT NULL,
	"phase" text NOT NULL,
	"status" text NOT NULL,
	"start_time" text,
	"end_time" text,
	"duration" text,
	"quality" text,
	"order" double precision NOT NULL,
	CONSTRAINT "call_phases_status_literal" CHECK ("call_phases"."status" in ('pending', 'active', 'completed', 'skipped')),
	CONSTRAINT "call_phases_quality_literal" CHECK ("call_phases"."quality" in ('poor', 'fair', 'good', 'excellent'))
);
--> statement-breakpoint
CREATE TABLE "call_system_config" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"live_call_id" uuid NOT NULL,
	"sip_provider" text NOT NULL,
	"stt_provider" text NOT NULL,
	"llm_provider" text NOT NULL,
	"tts_provider" text NOT NULL,
	"sip_status" text NOT NULL,
	"stt_status" text NOT NULL,
	"llm_status" text NOT NULL,
	"tts_status" text NOT NULL,
	"api_latency" double precision NOT NULL,
	"error_rate" double precision NOT NULL,
	"queue_depth" double precision NOT NULL,
	"cost_per_minute" double precision NOT NULL,
	"total_cost" double precision NOT NULL,
	"updated_at" double precision NOT NULL,
	CONSTRAINT "call_system_config_sipStatus_literal" CHECK ("call_system_config"."sip_status" in ('connected', 'error')),
	CONSTRAINT "call_system_config_sttStatus_literal" CHECK ("call_system_config"."stt_status" in ('streaming', 'error')),
	CONSTRAINT "call_system_config_llmStatus_literal" CHECK ("call_system_config"."llm_status" in ('active', 'error')),
	CONSTRAINT "call_system_config_ttsStatus_literal" CHECK ("call_system_config"."tts_status" in ('active', 'error')),
	CONSTRAINT "call_system_config_apiLatency_range" CHECK ("call_system_config"."api_latency" >= 0),
	CONSTRAINT "call_system_config_errorRate_range" CHECK ("call_system_config"."error_rate" between 0 and 100),
	CONSTRAINT "call_system_config_queueDepth_range" CHECK ("call_system_config"."queue_depth" >= 0),
	CONSTRAINT "call_system_config_costPerMinute_range" CHECK ("call_system_config"."cost_per_minute" >= 0),
	CONSTRAINT "call_system_config_totalCost_range" CHECK ("call_system_config"."total_cost" >= 0)
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"name" text NOT NULL,
	"description" text NOT NULL,
	"type" text NOT NULL,
	"status" text NOT NULL,
	"created_at" double precision NOT NULL,
	"updated_at" double precision NOT NULL,
	CONSTRAINT "campaigns_status_literal" CHECK ("campaigns"."status" in ('active', 'paused', 'completed'))
);
--> statement-breakpoint
CREATE TABLE "coaching_recommendations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"live_call_id" uuid NOT NULL,
	"type" text NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"priority" double precision NOT NULL,
	"timestamp" text NOT NULL,
	"is_active" boolean NOT NULL,
	CONSTRAINT "coaching_recommendations_type_literal" CHECK ("coaching_recommendations"."type" in ('positive', 'warning', 'suggestion')),
	CONSTRAINT "coaching_recommendations_priority_range" CHECK ("coaching_recommendations"."priority" between 1 and 10)
);
--> statement-breakpoint
CREATE TABLE "live_calls" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"call_id" text NOT NULL,
	"agent_name" text NOT NULL,
	"customer_name" text NOT NULL,
	"customer_phone" text NOT NULL,
	"status" text NOT NULL,
	"start_time" text NOT NULL,
	"duration" double precision NOT NULL,
	"current_phase" text NOT NULL,
	"campaign_id" uuid,
	"campaign_name" text NOT NULL,
	"is_recording" boolean NOT NULL,
	"recording_start_time" text,
	"agent_gain" double precision NOT NULL,
	"customer_gain" double precision NOT NULL,
	"current_speaker" text,
	"sip_endpoint" text,
	"session_id" text NOT NULL,
	"ended_at" text,
	"end_reason" text,
	"created_at" double precision NOT NULL,
	"updated_at" double precision NOT NULL,
	CONSTRAINT "live_calls_status_literal" CHECK ("live_calls"."status" in ('connecting', 'ringing', 'connected', 'on-hold', 'transferring', 'ended')),
	CONSTRAINT "live_calls_currentSpeaker_literal" CHECK ("live_calls"."current_speaker" in ('agent', 'customer')),
	CONSTRAINT "live_calls_endReason_literal" CHECK ("live_calls"."end_reason" in ('completed', 'customer-hangup', 'agent-hangup', 'transferred', 'voicemail', 'no-answer', 'failed', 'supervisor', 'stale')),
	CONSTRAINT "live_calls_duration_range" CHECK ("live_calls"."duration" >= 0),
	CONSTRAINT "live_calls_agentGain_range" CHECK ("live_calls"."agent_gain" between 0 and 100),
	CONSTRAINT "live_calls_customerGain_range" CHECK ("live_calls"."customer_gain" between 0 and 100)
);
--> statement-breakpoint
CREATE TABLE "live_performance_metrics" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"live_call_id" uuid NOT NULL,
	"script_adherence" double precision NOT NULL,
	"agent_confidence" double precision NOT NULL,
	"conversation_quality" double precision NOT NULL,
	"prospect_engagement" double precision NOT NULL,
	"voice_energy_level" text NOT NULL,
	"response_quality" text NOT NULL,
	"question_frequency" text NOT NULL,
	"interest_signals" text NOT NULL,
	"conversion_probability" double precision NOT NULL,
	"demo_acceptance_probability" double precision NOT NULL,
	"immediate_close_probability" double precision NOT NULL,
	"updated_at" double precision NOT NULL,
	CONSTRAINT "live_performance_metrics_voiceEnergyLevel_literal" CHECK ("live_performance_metrics"."voice_energy_level" in ('LOW', 'MEDIUM', 'HIGH')),
	CONSTRAINT "live_performance_metrics_responseQuality_literal" CHECK ("live_performance_metrics"."response_quality" in ('POOR', 'FAIR', 'GOOD', 'EXCELLENT')),
	CONSTRAINT "live_performance_metrics_questionFrequency_literal" CHECK ("live_performance_metrics"."question_frequency" in ('LOW', 'MEDIUM', 'HIGH')),
	CONSTRAINT "live_performance_metrics_interestSignals_literal" CHECK ("live_performance_metrics"."interest_signals" in ('WEAK', 'MODERATE', 'STRONG')),
	CONSTRAINT "live_performance_metrics_scriptAdherence_range" CHECK ("live_performance_metrics"."script_adherence" between 0 and 100),
	CONSTRAINT "live_performance_metrics_agentConfidence_range" CHECK ("live_performance_metrics"."agent_confidence" between 0 and 100),
	CONSTRAINT "live_performance_metrics_conversationQuality_range" CHECK ("live_performance_metrics"."conversation_quality" between 0 and 100),
	CONSTRAINT "live_performance_metrics_prospectEngagement_range" CHECK ("live_performance_metrics"."prospect_engagement" between 0 and 100),
	CONSTRAINT "live_performance_metrics_conversionProbability_range" CHECK ("live_performance_metrics"."conversion_probability" between 0 and 100),
	CONSTRAINT "live_performance_metrics_demoAcceptanceProbability_range" CHECK ("live_performance_metrics"."demo_acceptance_probability" between 0 and 100),
	CONSTRAINT "live_performance_metrics_immediateCloseProbability_range" CHECK ("live_performance_metrics"."immediate_close_probability" between 0 and 100)
);
--> statement-breakpoint
CREATE TABLE "live_transcripts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"live_call_id" uuid NOT NULL,
	"timestamp" text NOT NULL,
	"speaker" text NOT NULL,
	"text" text NOT NULL,
	"sentiment" text,
	"confidence" double precision,
	"is_final" boolean NOT NULL,
	"order" double precision NOT NULL,
	"created_at" double precision NOT NULL,
	CONSTRAINT "live_transcripts_speaker_literal" CHECK ("live_transcripts"."speaker" in ('agent', 'customer')),
	CONSTRAINT "live_transcripts_sentiment_literal" CHECK ("live_transcripts"."sentiment" in ('positive', 'negative', 'neutral')),
	CONSTRAINT "live_transcripts_confidence_range" CHECK ("live_transcripts"."confidence" between 0 and 1)
);
--> statement-breakpoint
CREATE TABLE "next_actions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"live_call_id" uuid NOT NULL,
	"action" text NOT NULL,
	"priority" text NOT NULL,
	"reason" text NOT NULL,
	"suggested_at" text NOT NULL,
	"order" double precision NOT NULL,
	CONSTRAINT "next_actions_priority_literal" CHECK ("next_actions"."priority" in ('immediate', 'next', 'follow-up'))
);
--> statement-breakpoint
CREATE TABLE "sentiment_analysis" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"live_call_id" uuid NOT NULL,
	"positive_percentage" double precision NOT NULL,
	"neutral_percentage" double precision NOT NULL,
	"negative_percentage" double precision NOT NULL,
	"trend" text NOT NULL,
	"last_positive_moment" text,
	"last_negative_moment" text,
	"updated_at" double precision NOT NULL,
	CONSTRAINT "sentiment_analysis_trend_literal" CHECK ("sentiment_analysis"."trend" in ('improving', 'stable', 'declining')),
	CONSTRAINT "sentiment_analysis_positivePercentage_range" CHECK ("sentiment_analysis"."positive_percentage" between 0 and 100),
	CONSTRAINT "sentiment_analysis_neutralPercentage_range" CHECK ("sentiment_analysis"."neutral_percentage" between 0 and 100),
	CONSTRAINT "sentiment_analysis_negativePercentage_range" CHECK ("sentiment_analysis"."negative_percentage" between 0 and 100)
);
--> statement-breakpoint
CREATE TABLE "supervisor_actions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"live_call_id" uuid NOT NULL,
	"supervisor_id" text NOT NULL,
	"supervisor_name" text NOT NULL,
	"action" text NOT NULL,
	"details" text,
	"timestamp" text NOT NULL,
	"order" double precision NOT NULL,
	CONSTRAINT "supervisor_actions_action_literal" CHECK ("supervisor_actions"."action" in ('COACH_AGENT', 'JOIN_CALL', 'TRANSFER_CALL', 'END_CALL', 'ADD_NOTE', 'BOOKMARK_MOMENT', 'FLAG_FOR_REVIEW'))
);
--> statement-breakpoint
CREATE TABLE "transcript_archive" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"call_analytics_id" uuid NOT NULL,
	"call_id" text NOT NULL,
	"order" double precision NOT NULL,
	"timestamp" text NOT NULL,
	"speaker" text NOT NULL,
	"text" text NOT NULL,
	"sentiment" text,
	"confidence" double precision,
	"created_at" double precision NOT NULL,
	CONSTRAINT "transcript_archive_speaker_literal" CHECK ("transcript_archive"."speaker" in ('agent', 'customer')),
	CONSTRAINT "transcript_archive_sentiment_literal" CHECK ("transcript_archive"."sentiment" in ('positive', 'negative', 'neutral')),
	CONSTRAINT "transcript_archive_confidence_range" CHECK ("transcript_archive"."confidence" between 0 and 1)
);
--> statement-breakpoint
ALTER TABLE "call_analytics" ADD CONSTRAINT "call_analytics_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_objectives" ADD CONSTRAINT "call_objectives_live_call_id_live_calls_id_fk" FOREIGN KEY ("live_call_id") REFERENCES "public"."live_calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_phases" ADD CONSTRAINT "call_phases_live_call_id_live_calls_id_fk" FOREIGN KEY ("live_call_id") REFERENCES "public"."live_calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_system_config" ADD CONSTRAINT "call_system_config_live_call_id_live_calls_id_fk" FOREIGN KEY ("live_call_id") REFERENCES "public"."live_calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coaching_recommendations" ADD CONSTRAINT "coaching_recommendations_live_call_id_live_calls_id_fk" FOREIGN KEY ("live_call_id") REFERENCES "public"."live_calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "live_calls" ADD CONSTRAINT "live_calls_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "live_performance_metrics" ADD CONSTRAINT "live_performance_metrics_live_call_id_live_calls_id_fk" FOREIGN KEY ("live_call_id") REFERENCES "public"."live_calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "live_transcripts" ADD CONSTRAINT "live_transcripts_live_call_id_live_calls_id_fk" FOREIGN KEY ("live_call_id") REFERENCES "public"."live_calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "next_actions" ADD CONSTRAINT "next_actions_live_call_id_live_calls_id_fk" FOREIGN KEY ("live_call_id") REFERENCES "public"."live_calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sentiment_analysis" ADD CONSTRAINT "sentiment_analysis_live_call_id_live_calls_id_fk" FOREIGN KEY ("live_call_id") REFERENCES "public"."live_calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supervisor_actions" ADD CONSTRAINT "supervisor_actions_live_call_id_live_calls_id_fk" FOREIGN KEY ("live_call_id") REFERENCES "public"."live_calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transcript_archive" ADD CONSTRAINT "transcript_archive_call_analytics_id_call_analytics_id_fk" FOREIGN KEY ("call_analytics_id") REFERENCES "public"."call_analytics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "call_analytics_by_call_id" ON "call_analytics" USING btree ("call_id");--> statement-breakpoint
CREATE INDEX "call_analytics_by_agent" ON "call_analytics" USING btree ("agent_name","ended_at");--> statement-breakpoint
CREATE INDEX "call_analytics_by_campaign" ON "call_analytics" USING btree ("campaign_id","ended_at");--> statement-breakpoint
CREATE INDEX "call_analytics_by_ended_at" ON "call_analytics" USING btree ("ended_at");--> statement-breakpoint
CREATE INDEX "call_objectives_by_call" ON "call_objectives" USING btree ("live_call_id","order");--> statement-breakpoint
CREATE INDEX "call_objectives_by_status" ON "call_objectives" USING btree ("live_call_id","status");--> statement-breakpoint
CREATE INDEX "call_phases_by_call" ON "call_phases" USING btree ("live_call_id","order");--> statement-breakpoint
CREATE INDEX "call_phases_by_status" ON "call_phases" USING btree ("live_call_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "call_system_config_by_call" ON "call_system_config" USING btree ("live_call_id");--> statement-breakpoint
CREATE INDEX "campaigns_by_name" ON "campaigns" USING btree ("name");--> statement-breakpoint
CREATE INDEX "campaigns_by_status" ON "campaigns" USING btree ("status");--> statement-breakpoint
CREATE INDEX "coaching_recommendations_by_call" ON "coaching_recommendations" USING btree ("live_call_id","is_active","priority");--> statement-breakpoint
CREATE UNIQUE INDEX "live_calls_by_call_id" ON "live_calls" USING btree ("call_id");--> statement-breakpoint
CREATE INDEX "live_calls_by_status" ON "live_calls" USING btree ("status");--> statement-breakpoint
CREATE INDEX "live_calls_by_agent" ON "live_calls" USING btree ("agent_name");--> statement-breakpoint
CREATE INDEX "live_calls_by_session" ON "live_calls" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "live_calls_by_ended_at" ON "live_calls" USING btree ("ended_at");--> statement-breakpoint
CREATE INDEX "live_performance_metrics_by_call" ON "live_performance_metrics" USING btree ("live_call_id");--> statement-breakpoint
CREATE INDEX "live_transcripts_by_call" ON "live_transcripts" USING btree ("live_call_id","order");--> statement-breakpoint
CREATE INDEX "live_transcripts_by_timestamp" ON "live_transcripts" USING btree ("live_call_id","created_at");--> statement-breakpoint
CREATE INDEX "next_actions_by_call" ON "next_actions" USING btree ("live_call_id","priority","order");--> statement-breakpoint
CREATE UNIQUE INDEX "sentiment_analysis_by_call" ON "sentiment_analysis" USING btree ("live_call_id");--> statement-breakpoint
CREATE INDEX "supervisor_actions_by_call" ON "supervisor_actions" USING btree ("live_call_id","timestamp");--> statement-breakpoint
CREATE INDEX "supervisor_actions_by_supervisor" ON "supervisor_actions" USING btree ("supervisor_id","timestamp");--> statement-breakpoint
CREATE INDEX "transcript_archive_by_call" ON "transcript_archive" USING btree ("call_analytics_id","order");--> statement-breakpoint
CREATE INDEX "transcript_archive_by_call_id" ON "transcript_archive" USING btree ("call_id","order");