package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/wsusmock/wsusmock/server"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/store"
)

// storeConnectTimeout bounds connecting to the store at start: a server
// that cannot reach its database then does not start, so an orchestrator
// sees the failure; once running, it survives losing it.
const storeConnectTimeout = 30 * time.Second

// shareStore is the server's Share hook of --store: it joins the shared
// world in the PostgreSQL database at url. The SOAP plane serves that world
// and its fault rules from then on, and a reset through any server clears
// its journal.
func shareStore(url string) func(*soapserver.Server, *slog.Logger) (server.Shared, error) {
	return func(soap *soapserver.Server, log *slog.Logger) (server.Shared, error) {
		ctx, cancel := context.WithTimeout(context.Background(), storeConnectTimeout)
		defer cancel()
		st, err := store.Open(ctx, url, store.Options{
			Start:       soap.World(),
			Apply:       soap.SetWorld,
			ApplyFaults: func(fs []store.Fault) { applyFaults(soap, log, fs) },
			OnReset:     soap.ClearJournal,
			Logger:      log,
		})
		if err != nil {
			return nil, err
		}
		return storeWorld{st}, nil
	}
}

// applyFaults gives the SOAP plane the shared fault rules.
func applyFaults(soap *soapserver.Server, log *slog.Logger, fs []store.Fault) {
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
}

// storeWorld is the store as a server's shared world: fault rules go to it
// as JSON, which the store keeps without reading.
type storeWorld struct{ *store.Store }

func (sw storeWorld) AddFault(ctx context.Context, rule soapserver.FaultRule) (soapserver.FaultRule, error) {
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

// Health is the /healthz body of a server with a store.
func (sw storeWorld) Health() string {
	h := sw.Store.Health()
	if h.Connected {
		return fmt.Sprintf("ok\nstore: connected; world version %d, scenario %s\n", h.Version, h.Scenario)
	}
	return fmt.Sprintf("stale\nstore: unreachable since %s; serving world version %d, scenario %s; %q\n",
		h.Since.UTC().Format(time.RFC3339), h.Version, h.Scenario, h.Err)
}
