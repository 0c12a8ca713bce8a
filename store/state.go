package store

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsusmock/wsusmock/scenarios"
)

// state is the world's mutable part as the tables hold it: everything a
// remediation changes. The rest (catalog, target groups, persona) comes from
// the scenario, which every replica has.
type state struct {
	version    int64
	resetCount int64
	scenario   string
	hotfixes   []string
	approvals  []scenarios.DeploymentRow
	declined   []scenarios.Declination
	// faults are the fault-injection rules; lastFault numbers the last
	// rule added, so IDs are never reused.
	faults    []Fault
	lastFault int64
}

// Fault is a fault-injection rule as the store keeps it: its ID and the
// rule as JSON, which the store does not read.
type Fault struct {
	ID   string
	Rule json.RawMessage
}

// stateOf is the mutable part of w, its times cut to PostgreSQL's
// microseconds so that a world rebuilt from the tables equals it.
func stateOf(w *scenarios.World) state {
	sc := w.Scenario()
	st := state{scenario: sc.Name, hotfixes: sc.Build.Hotfixes, approvals: sc.Approvals, declined: sc.Declined}
	for i := range st.approvals {
		st.approvals[i].LastChange = dbTime(st.approvals[i].LastChange)
	}
	for i := range st.declined {
		st.declined[i].At = dbTime(st.declined[i].At)
	}
	return st
}

func dbTime(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// querier is what load needs of a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// load reads the state. With lock, it first locks the configuration row,
// which serialises writers: under READ COMMITTED the reads that follow see
// everything the previous writer committed.
func load(ctx context.Context, q querier, lock bool) (state, error) {
	var st state
	sql := `SELECT ScenarioName, Version, ResetCount, LastFaultRule FROM tbConfiguration WHERE ConfigurationID = 1`
	if lock {
		sql += ` FOR UPDATE`
	}
	if err := q.QueryRow(ctx, sql).Scan(&st.scenario, &st.version, &st.resetCount, &st.lastFault); err != nil {
		return state{}, err
	}
	rows, _ := q.Query(ctx, `SELECT DeploymentID, RevisionID, TargetGroupName, ActionName, Deadline, IsAssigned, LastChangeTime, DownloadPriority
		FROM tbDeployment ORDER BY RowOrder`)
	approvals, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (scenarios.DeploymentRow, error) {
		var d scenarios.DeploymentRow
		err := r.Scan(&d.DeploymentID, &d.RevisionID, &d.Group, &d.Action, &d.Deadline, &d.IsAssigned, &d.LastChange, &d.DownloadPriority)
		d.LastChange = d.LastChange.UTC()
		return d, err
	})
	if err != nil {
		return state{}, err
	}
	rows, _ = q.Query(ctx, `SELECT UpdateID, TargetGroupName, DeclinedTime FROM tbDeclinedUpdate ORDER BY RowOrder`)
	declined, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (scenarios.Declination, error) {
		var d scenarios.Declination
		err := r.Scan(&d.UpdateID, &d.Group, &d.At)
		d.At = d.At.UTC()
		return d, err
	})
	if err != nil {
		return state{}, err
	}
	rows, _ = q.Query(ctx, `SELECT KBArticle FROM tbInstalledHotfix ORDER BY RowOrder`)
	hotfixes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return state{}, err
	}
	rows, _ = q.Query(ctx, `SELECT RuleID, Rule FROM tbFaultRule ORDER BY RowOrder`)
	faults, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Fault, error) {
		var f Fault
		err := r.Scan(&f.ID, &f.Rule)
		return f, err
	})
	if err != nil {
		return state{}, err
	}
	st.approvals, st.declined, st.hotfixes, st.faults = approvals, declined, hotfixes, faults
	return st, nil
}

// write replaces the tables' rows with st, bumps the version (and the reset
// count with reset) and announces the change to every listening replica;
// the announcement goes out when the transaction commits. It returns the
// new version and reset count.
func write(ctx context.Context, tx pgx.Tx, st state, reset bool, now time.Time) (state, error) {
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM tbDeployment`)
	for i, d := range st.approvals {
		b.Queue(`INSERT INTO tbDeployment (RowOrder, DeploymentID, RevisionID, TargetGroupName, ActionName, Deadline, IsAssigned, LastChangeTime, DownloadPriority)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, i, d.DeploymentID, d.RevisionID, d.Group, d.Action, d.Deadline, d.IsAssigned, d.LastChange, d.DownloadPriority)
	}
	b.Queue(`DELETE FROM tbDeclinedUpdate`)
	for i, d := range st.declined {
		b.Queue(`INSERT INTO tbDeclinedUpdate (RowOrder, UpdateID, TargetGroupName, DeclinedTime) VALUES ($1, $2, $3, $4)`, i, d.UpdateID, d.Group, d.At)
	}
	b.Queue(`DELETE FROM tbInstalledHotfix`)
	for i, kb := range st.hotfixes {
		b.Queue(`INSERT INTO tbInstalledHotfix (RowOrder, KBArticle) VALUES ($1, $2)`, i, kb)
	}
	b.Queue(`DELETE FROM tbFaultRule`)
	for i, f := range st.faults {
		b.Queue(`INSERT INTO tbFaultRule (RowOrder, RuleID, Rule) VALUES ($1, $2, $3)`, i, f.ID, string(f.Rule))
	}
	resets := 0
	if reset {
		resets = 1
	}
	b.Queue(`UPDATE tbConfiguration SET ScenarioName = $1, Version = Version + 1, ResetCount = ResetCount + $2, LastChange = $3, LastFaultRule = $4
		WHERE ConfigurationID = 1 RETURNING Version, ResetCount`, st.scenario, resets, now, st.lastFault).QueryRow(func(r pgx.Row) error {
		return r.Scan(&st.version, &st.resetCount)
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return state{}, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, strconv.FormatInt(st.version, 10)); err != nil {
		return state{}, err
	}
	return st, nil
}
