-- A campaign's name is unique (calls start by campaignName, and it decides who sees them).
-- Names two requests managed to share before this index are told apart first: every campaign
-- after the oldest of a name gets " (2)", " (3)"... appended, rather than the migration failing.
UPDATE "campaigns" AS c SET "name" = c."name" || ' (' || d.n || ')'
FROM (
  SELECT "id", row_number() OVER (PARTITION BY "name" ORDER BY "created_at", "id") AS n
  FROM "campaigns"
) AS d
WHERE c."id" = d."id" AND d.n > 1;--> statement-breakpoint
DROP INDEX "campaigns_by_name";--> statement-breakpoint
CREATE UNIQUE INDEX "campaigns_by_name" ON "campaigns" USING btree ("name");
