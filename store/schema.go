package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// migrations bring the schema from version i to i+1. A new version appends
// a step; a released step is never edited, since databases already ran it.
var migrations = []string{
	// 1: the shared world. Names follow SUSDB where WSUS had a table for
	// the same thing; unquoted, PostgreSQL stores them in lower case.
	`
CREATE TABLE tbConfiguration (
	ConfigurationID int PRIMARY KEY CHECK (ConfigurationID = 1),
	ScenarioName    text        NOT NULL,
	-- Version counts committed changes; replicas serve the newest they saw.
	Version         bigint      NOT NULL,
	-- ResetCount tells replicas that a reset happened, so each clears its
	-- own journal and fault rules.
	ResetCount      bigint      NOT NULL DEFAULT 0,
	LastChange      timestamptz NOT NULL
);
-- One row per approval of a revision for a target group. Advisory 954960's
-- defect is two rows with the same RevisionID and TargetGroupName.
CREATE TABLE tbDeployment (
	RowOrder         int PRIMARY KEY,
	DeploymentID     int         NOT NULL,
	RevisionID       int         NOT NULL,
	TargetGroupName  text        NOT NULL,
	ActionName       text        NOT NULL,
	Deadline         text        NOT NULL,
	IsAssigned       boolean     NOT NULL,
	LastChangeTime   timestamptz NOT NULL,
	DownloadPriority text        NOT NULL
);
CREATE TABLE tbDeclinedUpdate (
	RowOrder        int PRIMARY KEY,
	UpdateID        text        NOT NULL,
	TargetGroupName text        NOT NULL,
	DeclinedTime    timestamptz NOT NULL
);
CREATE TABLE tbInstalledHotfix (
	RowOrder  int PRIMARY KEY,
	KBArticle text NOT NULL
);
`,
	// 2: fault-injection rules, shared like the world; each replica keeps
	// its own counters.
	`
CREATE TABLE tbFaultRule (
	RowOrder int PRIMARY KEY,
	RuleID   text  NOT NULL UNIQUE,
	Rule     jsonb NOT NULL
);
ALTER TABLE tbConfiguration ADD COLUMN LastFaultRule bigint NOT NULL DEFAULT 0;
`,
}

// schemaLock is the advisory lock key replicas take while they migrate and
// seed, so two starting at once do not both create the tables.
const schemaLock = 954960

// notifyChannel is the LISTEN/NOTIFY channel a committed change is
// announced on; the payload is the new version.
const notifyChannel = "wsusmock_world"

// migrate brings the schema up to date and, on an empty database, seeds the
// shared world with seed. It reports whether it seeded.
func migrate(ctx context.Context, tx pgx.Tx, seed state, now time.Time) (seeded bool, err error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLock); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS wsusmock_schema (version int NOT NULL)`); err != nil {
		return false, err
	}
	var version int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM wsusmock_schema`).Scan(&version); err != nil {
		return false, err
	}
	if version > len(migrations) {
		return false, fmt.Errorf("the database's schema is version %d; this wsusmock knows up to %d: upgrade this replica", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			return false, fmt.Errorf("schema version %d: %w", v+1, err)
		}
	}
	if version < len(migrations) {
		if _, err := tx.Exec(ctx, `DELETE FROM wsusmock_schema`); err != nil {
			return false, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO wsusmock_schema (version) VALUES ($1)`, len(migrations)); err != nil {
			return false, err
		}
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM tbConfiguration`).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO tbConfiguration (ConfigurationID, ScenarioName, Version, LastChange) VALUES (1, $1, 0, $2)`,
		seed.scenario, now); err != nil {
		return false, err
	}
	_, err = write(ctx, tx, seed, false, now)
	return err == nil, err
}
