package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/store"
)

// storeConnectTimeout bounds connecting to the store at start: a server
// that cannot reach its database then does not start, so an orchestrator
// sees the failure; once running, it survives losing it.
const storeConnectTimeout = 30 * time.Second

// openStore joins the shared world at url: soap serves it and its fault
// rules from now on, and a reset through any server clears soap's journal.
func openStore(url string, start *scenarios.World, soap *soapserver.Server, log *slog.Logger, now func() time.Time) (*store.Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), storeConnectTimeout)
	defer cancel()
	return store.Open(ctx, url, store.Options{
		Start: start,
		Apply: soap.SetWorld,
		ApplyFaults: func(fs []store.Fault) {
			rules := make([]soapserver.FaultRule, 0, len(fs))
			for _, f := range fs {
				var r soapserver.FaultRule
				if err := json.Unmarshal(f.Rule, &r); err != nil {
					log.Error("store: fault rule unreadable; left out", "id", f.ID, "err", err)
					continue
				}
				r.ID = f.ID
				rules = append(rules, r)
			}
			if err := soap.SetFaults(rules); err != nil {
				log.Error("store: fault rules refused; the previous ones stay", "err", err)
			}
		},
		OnReset: soap.ClearJournal,
		Logger:  log,
		Now:     now,
	})
}

// sharedWorld is the admin API's view of the store: fault rules go to it
// as JSON, which the store keeps without reading.
type sharedWorld struct{ *store.Store }

func (sw sharedWorld) AddFault(ctx context.Context, rule soapserver.FaultRule) (soapserver.FaultRule, error) {
	rule.ID, rule.Matched, rule.Hits = "", 0, 0
	b, err := json.Marshal(rule)
	if err != nil {
		return soapserver.FaultRule{}, err
	}
	if rule.ID, err = sw.Store.AddFault(ctx, b); err != nil {
		return soapserver.FaultRule{}, err
	}
	return rule, nil
}

// healthWithStore answers /healthz with the store's state; the rest goes
// to next. The status stays 200 while the database is away: the replica
// still serves a consistent world, its last snapshot, and says which.
func healthWithStore(st *store.Store, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.URL.Path, "/healthz") {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, healthText(st.Health()))
	})
}

// healthText is the /healthz body of a server with a store: "ok" or
// "stale" on the first line, then the store's line.
func healthText(h store.Health) string {
	if h.Connected {
		return fmt.Sprintf("ok\nstore: connected; world version %d, scenario %s\n", h.Version, h.Scenario)
	}
	return fmt.Sprintf("stale\nstore: unreachable since %s; serving world version %d, scenario %s; %q\n",
		h.Since.UTC().Format(time.RFC3339), h.Version, h.Scenario, h.Err)
}
