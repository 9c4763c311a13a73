-- Sign-in and password-change limits shared by every process on the database (shared-rate-limiter.ts).
CREATE TABLE "rate_limit_buckets" (
	"key_hash" text PRIMARY KEY NOT NULL,
	"tokens" double precision NOT NULL,
	"granted" boolean NOT NULL,
	"updated_at" double precision NOT NULL
);
