package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wsusmock/wsusmock/scenarios"
)

// A database written by the first schema version is migrated at start:
// its world stays, and fault rules can be added.
func TestOpenMigratesAVersion1Database(t *testing.T) {
	url := database(t)
	ctx := context.Background()
	// What a replica of schema version 1 left: the world after KB954960.
	execSQL(t, url, `
CREATE TABLE wsusmock_schema (version int NOT NULL);
INSERT INTO wsusmock_schema VALUES (1);
CREATE TABLE tbConfiguration (ConfigurationID int PRIMARY KEY CHECK (ConfigurationID = 1), ScenarioName text NOT NULL,
	Version bigint NOT NULL, ResetCount bigint NOT NULL DEFAULT 0, LastChange timestamptz NOT NULL);
CREATE TABLE tbDeployment (RowOrder int PRIMARY KEY, DeploymentID int NOT NULL, RevisionID int NOT NULL, TargetGroupName text NOT NULL,
	ActionName text NOT NULL, Deadline text NOT NULL, IsAssigned boolean NOT NULL, LastChangeTime timestamptz NOT NULL, DownloadPriority text NOT NULL);
CREATE TABLE tbDeclinedUpdate (RowOrder int PRIMARY KEY, UpdateID text NOT NULL, TargetGroupName text NOT NULL, DeclinedTime timestamptz NOT NULL);
CREATE TABLE tbInstalledHotfix (RowOrder int PRIMARY KEY, KBArticle text NOT NULL);
INSERT INTO tbConfiguration VALUES (1, 'sp1-office2003', 7, 0, now());
INSERT INTO tbInstalledHotfix VALUES (0, 'KB954960');
`)

	r := open(t, url, "sp1-office2003")
	if h := r.Health(); h.Version != 7 {
		t.Errorf("version after the migration: %d, want 7", h.Version)
	}
	if !r.served().Build().HasHotfix(scenarios.HotfixKB954960) {
		t.Error("the migrated world lost KB954960")
	}
	if id, err := r.AddFault(ctx, []byte(`{"operation":"GetConfig","error_code":"ServerBusy"}`)); err != nil || id != "f1" {
		t.Errorf("AddFault on the migrated database = %q, %v", id, err)
	}
}

// A database written by a newer wsusmock is refused, not guessed at.
func TestOpenRefusesANewerSchema(t *testing.T) {
	url := database(t)
	execSQL(t, url, `CREATE TABLE wsusmock_schema (version int NOT NULL); INSERT INTO wsusmock_schema VALUES (99);`)
	if _, err := openErr(url, "sp1-office2003"); err == nil || !strings.Contains(err.Error(), "schema is version 99") {
		t.Errorf("Open on a version 99 database: %v", err)
	}
}

// execSQL runs statements on the database at url.
func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}
