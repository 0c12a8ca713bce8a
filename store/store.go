package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsusmock/wsusmock/scenarios"
)

// DefaultProbeInterval is how often an idle replica checks that its
// connection to the database is alive.
const DefaultProbeInterval = 2 * time.Second

// Options configure Open.
type Options struct {
	// Start is the world this replica was started with. On an empty
	// database it becomes the shared world; otherwise the shared world
	// wins, and Start only lends its scenario when the shared world names
	// it (a scenario from a file, which other replicas must load too).
	// Required.
	Start *scenarios.World
	// Apply swaps a snapshot in (soapserver.Server.SetWorld). Calls come
	// one at a time, in the order of the versions. Required.
	Apply func(*scenarios.World)
	// ApplyFaults, when set, gets the shared fault rules with every
	// version applied, in order.
	ApplyFaults func([]Fault)
	// OnReset is called when a reset, through any replica, is applied:
	// each replica clears what it keeps for itself (journal, fault rules).
	OnReset func()
	// Logger receives the store's changes of state; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ProbeInterval: zero means DefaultProbeInterval.
	ProbeInterval time.Duration
}

// Health is what a replica knows of its shared world.
type Health struct {
	// Connected is false while the database cannot be reached; the replica
	// then serves the snapshot of Version.
	Connected bool
	// Version is the version of the snapshot served.
	Version int64
	// Since is when the connection was lost; zero while Connected.
	Since time.Time
	// Err is why, while not Connected.
	Err string
	// Scenario names the scenario of the snapshot served.
	Scenario string
}

// Store is a replica's side of the shared world. Create it with Open; its
// methods are safe for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	conn  *pgx.ConnConfig
	opts  Options
	log   *slog.Logger
	start *scenarios.Scenario

	// mu guards the version served and health, and serialises Apply.
	mu         sync.Mutex
	version    int64
	resetCount int64
	health     Health

	cancel context.CancelFunc
	done   chan struct{}
}

// Open connects to the database at url (postgres://… or a key=value
// string), creates or migrates the schema, seeds an empty database with
// opts.Start, applies the shared world, and starts following changes.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.Start == nil || opts.Apply == nil {
		return nil, errors.New("store: Start and Apply are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ProbeInterval <= 0 {
		opts.ProbeInterval = DefaultProbeInterval
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message hides the password.
		return nil, fmt.Errorf("store: %w", err)
	}
	cfg.MaxConns = 4
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// An admin change while the database is away fails in seconds
		// rather than waiting on the caller's patience.
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{pool: pool, conn: cfg.ConnConfig, opts: opts, log: log, start: opts.Start.Scenario(), done: make(chan struct{})}
	if err := s.init(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	lctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.follow(lctx)
	return s, nil
}

// init migrates, seeds and applies the shared world.
func (s *Store) init(ctx context.Context) error {
	var seeded bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		seeded, err = migrate(ctx, tx, stateOf(s.opts.Start), s.opts.Now())
		return err
	})
	if err != nil {
		return err
	}
	s.health = Health{Connected: true}
	if err := s.refresh(ctx); err != nil {
		return err
	}
	h := s.Health()
	s.log.Info("store: shared world", "version", h.Version, "seeded", seeded, "scenario", h.Scenario)
	return nil
}

// Close stops following changes and closes the connections. The replica
// keeps serving its last snapshot.
func (s *Store) Close() {
	s.cancel()
	<-s.done
	s.pool.Close()
}

// Health reports the connection and the version served.
func (s *Store) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.health
	h.Version = s.version
	return h
}

// Update changes the shared world through f, which gets the world as the
// database holds it now and returns the next (scenarios' remediation
// methods have that shape), in one transaction. An error from f leaves the
// world as it was and is returned as is. When Update returns, this replica
// serves the change; the others do once they get the notification.
func (s *Store) Update(ctx context.Context, f func(*scenarios.World) (*scenarios.World, error)) error {
	return s.change(ctx, false, func(cur *scenarios.World, _ *state) (*scenarios.World, error) {
		next, err := f(cur)
		if err == nil && next == cur {
			return nil, errUnchanged // a hotfix installed twice
		}
		return next, err
	})
}

// Select makes w, a world of a built-in scenario or of this replica's own,
// the shared world: what SelectScenario does in memory.
func (s *Store) Select(ctx context.Context, w *scenarios.World) error {
	return s.change(ctx, false, func(*scenarios.World, *state) (*scenarios.World, error) { return w, nil })
}

// Reset returns the shared world to its scenario's initial state and
// removes every fault rule; every replica then calls OnReset.
func (s *Store) Reset(ctx context.Context) error {
	return s.change(ctx, true, func(cur *scenarios.World, st *state) (*scenarios.World, error) {
		sc, err := s.scenario(cur.Scenario().Name)
		if err != nil {
			return nil, err
		}
		st.faults = nil
		return scenarios.NewWorld(sc)
	})
}

// AddFault appends a fault rule, given as JSON, and returns its ID: "f" and
// a number no rule had before.
func (s *Store) AddFault(ctx context.Context, rule json.RawMessage) (id string, err error) {
	err = s.change(ctx, false, func(cur *scenarios.World, st *state) (*scenarios.World, error) {
		st.lastFault++
		id = "f" + strconv.FormatInt(st.lastFault, 10)
		st.faults = append(st.faults, Fault{ID: id, Rule: rule})
		return cur, nil
	})
	return id, err
}

// RemoveFault removes the rule with the ID and says whether there was one.
func (s *Store) RemoveFault(ctx context.Context, id string) (found bool, err error) {
	err = s.change(ctx, false, func(cur *scenarios.World, st *state) (*scenarios.World, error) {
		n := len(st.faults)
		st.faults = slices.DeleteFunc(st.faults, func(f Fault) bool { return f.ID == id })
		if found = len(st.faults) < n; !found {
			return nil, errUnchanged
		}
		return cur, nil
	})
	return found, err
}

// ClearFaults removes every rule and says how many there were.
func (s *Store) ClearFaults(ctx context.Context) (n int, err error) {
	err = s.change(ctx, false, func(cur *scenarios.World, st *state) (*scenarios.World, error) {
		if n = len(st.faults); n == 0 {
			return nil, errUnchanged
		}
		st.faults = nil
		return cur, nil
	})
	return n, err
}

// errUnchanged ends a change that changes nothing without writing.
var errUnchanged = errors.New("unchanged")

// change runs one writer's transaction: lock, read, apply f, write,
// announce, commit, and serve the result here at once. f gets the world
// the rows describe and the state, whose fault rules it may change, and
// returns the next world; errUnchanged from f commits nothing.
func (s *Store) change(ctx context.Context, reset bool, f func(*scenarios.World, *state) (*scenarios.World, error)) error {
	var (
		next    *scenarios.World
		wrote   state
		refused error
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		st, err := load(ctx, tx, true)
		if err != nil {
			return err
		}
		cur, err := s.build(st)
		if err != nil {
			return err
		}
		w, err := f(cur, &st)
		if err != nil {
			refused = err
			return err
		}
		if w == nil {
			return errors.New("the change returned no world")
		}
		// Every replica builds the world from the rows; so does this one,
		// so that all serve the same.
		nst := stateOf(w)
		nst.faults, nst.lastFault = st.faults, st.lastFault
		if next, err = s.build(nst); err != nil {
			return err
		}
		wrote, err = write(ctx, tx, nst, reset, s.opts.Now())
		return err
	})
	switch {
	case errors.Is(refused, errUnchanged):
		return nil
	case refused != nil:
		return refused // as f said it, for the caller to tell refusals apart
	case err != nil:
		return fmt.Errorf("store: %w", err)
	}
	s.apply(wrote, next)
	return nil
}

// scenario is the base scenario a shared world names.
func (s *Store) scenario(name string) (*scenarios.Scenario, error) {
	if name == s.start.Name {
		return s.opts.Start.Scenario(), nil
	}
	sc, err := scenarios.Builtin(name)
	if err != nil {
		return nil, fmt.Errorf("the shared world serves scenario %q, which this replica does not know (start every replica with the same scenario): %w", name, err)
	}
	return sc, nil
}

// build is the world a state describes: its scenario with the shared rows
// put in and its hotfixes installed.
func (s *Store) build(st state) (*scenarios.World, error) {
	sc, err := s.scenario(st.scenario)
	if err != nil {
		return nil, err
	}
	sc.Approvals = append([]scenarios.DeploymentRow(nil), st.approvals...)
	sc.Declined = append([]scenarios.Declination(nil), st.declined...)
	w, err := scenarios.NewWorld(sc)
	if err != nil {
		return nil, fmt.Errorf("shared world, version %d: %w", st.version, err)
	}
	for _, kb := range st.hotfixes {
		if w.Build().HasHotfix(kb) {
			continue
		}
		if w, err = w.InstallHotfix(kb); err != nil {
			return nil, fmt.Errorf("shared world, version %d: %w", st.version, err)
		}
	}
	return w, nil
}

// apply serves w, built from st, unless a newer version is served already.
func (s *Store) apply(st state, w *scenarios.World) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.version <= s.version {
		return
	}
	first := s.version == 0
	reset := st.resetCount != s.resetCount
	s.version, s.resetCount = st.version, st.resetCount
	s.health.Scenario = st.scenario
	s.opts.Apply(w)
	if s.opts.ApplyFaults != nil {
		s.opts.ApplyFaults(st.faults)
	}
	if reset && !first && s.opts.OnReset != nil {
		s.opts.OnReset()
	}
	s.log.Debug("store: world applied", "version", st.version, "scenario", st.scenario)
}

// refresh reads the shared world and serves it if it is newer.
func (s *Store) refresh(ctx context.Context) error {
	var st state
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		st, err = load(ctx, tx, false)
		return err
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	current := st.version <= s.version
	s.mu.Unlock()
	if current {
		return nil
	}
	w, err := s.build(st)
	if err != nil {
		return buildError{err}
	}
	s.apply(st, w)
	return nil
}

// buildError is a shared world this replica cannot build (a scenario it
// does not know): the database is fine, the replica keeps its snapshot.
type buildError struct{ err error }

func (e buildError) Error() string { return e.err.Error() }
func (e buildError) Unwrap() error { return e.err }

// refreshLogged refreshes, and logs rather than returns a world this
// replica cannot build.
func (s *Store) refreshLogged(ctx context.Context) error {
	err := s.refresh(ctx)
	var be buildError
	if errors.As(err, &be) {
		s.log.Error("store: cannot serve the shared world; serving the last snapshot", "err", be.err)
		return nil
	}
	return err
}

// follow listens for changes until ctx ends, reconnecting after a loss.
// While the database is away the replica serves its last snapshot; when it
// is back, refresh catches up on the changes missed.
func (s *Store) follow(ctx context.Context) {
	defer close(s.done)
	const firstRetry, maxRetry = 100 * time.Millisecond, 5 * time.Second
	backoff := firstRetry
	for {
		connected, err := s.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		s.lost(err)
		if connected {
			backoff = firstRetry // a new outage
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxRetry)
	}
}

// listen holds one LISTEN connection: it catches up, then refreshes on
// every notification and probes the connection when idle. It returns
// whether it got as far as listening, and why the connection ended.
func (s *Store) listen(ctx context.Context) (connected bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.ConnectConfig(cctx, s.conn)
	cancel()
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+notifyChannel); err != nil {
		return false, err
	}
	// Changes committed while this replica was not listening.
	if err := s.refreshLogged(ctx); err != nil {
		return false, err
	}
	s.reachable()
	return true, s.wait(ctx, conn)
}

// wait refreshes on every notification until the connection fails.
func (s *Store) wait(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, s.opts.ProbeInterval)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			pctx, cancel := context.WithTimeout(ctx, s.opts.ProbeInterval)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		if v, perr := strconv.ParseInt(n.Payload, 10, 64); perr == nil && v <= s.Health().Version {
			continue // this replica's own change, served already
		}
		if err := s.refreshLogged(ctx); err != nil {
			return err
		}
	}
}

// lost records that the database cannot be reached, logging the first
// failure of an outage only.
func (s *Store) lost(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := "connection lost"
	if err != nil {
		msg = err.Error()
	}
	if !s.health.Connected {
		s.health.Err = msg
		return
	}
	s.health = Health{Connected: false, Since: s.opts.Now(), Err: msg, Scenario: s.health.Scenario}
	s.log.Error("store: database unreachable; serving the last snapshot", "version", s.version, "err", msg)
}

// reachable records that the database is back.
func (s *Store) reachable() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.health.Connected {
		return
	}
	s.log.Info("store: database reachable again", "version", s.version, "down_for", s.opts.Now().Sub(s.health.Since).Round(time.Millisecond))
	s.health = Health{Connected: true, Scenario: s.health.Scenario}
}
