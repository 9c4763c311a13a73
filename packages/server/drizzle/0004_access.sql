CREATE TABLE "audit_log" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"at" double precision NOT NULL,
	"event" text NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" text,
	"actor_name" text,
	"target" text,
	"detail" jsonb,
	"ip" text,
	CONSTRAINT "audit_log_event_literal" CHECK ("audit_log"."event" in ('sign_in', 'sign_in_failed', 'sign_out', 'password_changed', 'access_refused', 'supervisor_action', 'user_created', 'user_updated', 'password_reset', 'key_created', 'key_revoked', 'campaign_created', 'campaign_updated'))
);
--> statement-breakpoint
CREATE TABLE "call_annotations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"call_id" text NOT NULL,
	"campaign_id" uuid,
	"action" text NOT NULL,
	"details" text,
	"supervisor_id" text NOT NULL,
	"supervisor_name" text NOT NULL,
	"timestamp" text NOT NULL,
	"created_at" double precision NOT NULL,
	CONSTRAINT "call_annotations_action_literal" CHECK ("call_annotations"."action" in ('ADD_NOTE', 'BOOKMARK_MOMENT', 'FLAG_FOR_REVIEW'))
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"token_hash" text NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" double precision NOT NULL,
	"expires_at" double precision NOT NULL,
	"revoked_at" double precision
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"creation_time" double precision DEFAULT (extract(epoch from clock_timestamp()) * 1000) NOT NULL,
	"username" text NOT NULL,
	"display_name" text NOT NULL,
	"role" text NOT NULL,
	"campaign_ids" jsonb NOT NULL,
	"password_hash" text NOT NULL,
	"must_change_password" boolean NOT NULL,
	"disabled_at" double precision,
	"created_at" double precision NOT NULL,
	"updated_at" double precision NOT NULL,
	CONSTRAINT "users_role_literal" CHECK ("users"."role" in ('admin', 'supervisor', 'viewer'))
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_by_at" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_log_by_event" ON "audit_log" USING btree ("event","at");--> statement-breakpoint
CREATE INDEX "call_annotations_by_call" ON "call_annotations" USING btree ("call_id","created_at");--> statement-breakpoint
CREATE INDEX "call_annotations_by_action" ON "call_annotations" USING btree ("action","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sessions_by_token" ON "sessions" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "sessions_by_user" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_by_username" ON "users" USING btree ("username");--> statement-breakpoint
-- The audit log is append-only: the database itself refuses to change or delete an entry.
CREATE FUNCTION "audit_log_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only';
END;
$$;--> statement-breakpoint
CREATE TRIGGER "audit_log_no_change" BEFORE UPDATE OR DELETE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION "audit_log_append_only"();
