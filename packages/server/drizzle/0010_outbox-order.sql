-- A call's actions reach the voice platform in the order they were taken, even when one is
-- being retried: the outbox keeps each action's order on its call, filled in here for rows
-- written before it existed.
ALTER TABLE "outbox" ADD COLUMN "action_order" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE "outbox" AS o SET "action_order" = s."order"::integer
FROM "supervisor_actions" AS s WHERE s."id" = o."action_id";--> statement-breakpoint
CREATE INDEX "outbox_by_call" ON "outbox" USING btree ("live_call_id","action_order");
