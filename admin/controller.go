package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wsuslog"
)

// API is the admin API's method set. Controller runs it in process, Client
// over HTTP; both return *Error for a refusal, so code written against API
// runs either way.
type API interface {
	// Info describes the server as it is now.
	Info(ctx context.Context) (ServerInfo, error)
	// InstallHotfix installs a hotfix the way its installer would.
	InstallHotfix(ctx context.Context, kb string) (HotfixResult, error)
	// RemoveHotfix always refuses, as the real update did.
	RemoveHotfix(ctx context.Context, kb string) error
	// Updates lists the catalog with approvals per target group.
	Updates(ctx context.Context) ([]CatalogUpdate, error)
	// Approve approves an update for Install to a group ("" means All
	// Computers).
	Approve(ctx context.Context, updateID, group string) (ApprovalResult, error)
	// Decline declines an update in a group ("" means All Computers).
	Decline(ctx context.Context, updateID, group string) (ApprovalResult, error)
	// Scenario names the scenario served and the built-in ones.
	Scenario(ctx context.Context) (ScenarioInfo, error)
	// SelectScenario switches to a built-in scenario.
	SelectScenario(ctx context.Context, name string) (ServerInfo, error)
	// Reset returns to the scenario's initial state and clears fault rules
	// and the journal.
	Reset(ctx context.Context) (ServerInfo, error)
	// AddFault installs a fault-injection rule and returns it with its ID.
	AddFault(ctx context.Context, rule soapserver.FaultRule) (soapserver.FaultRule, error)
	// Faults lists the installed rules with their counters.
	Faults(ctx context.Context) ([]soapserver.FaultRule, error)
	// Fault returns one rule.
	Fault(ctx context.Context, id string) (soapserver.FaultRule, error)
	// RemoveFault removes one rule.
	RemoveFault(ctx context.Context, id string) error
	// ClearFaults removes every rule and says how many there were.
	ClearFaults(ctx context.Context) (int, error)
	// Journal returns the recorded exchanges the filter selects.
	Journal(ctx context.Context, f soapserver.JournalFilter) (soapserver.JournalPage, error)
	// ClearJournal forgets the recorded exchanges.
	ClearJournal(ctx context.Context) error
	// Events streams exchanges as they are recorded; buffer is how many the
	// reader may fall behind (0: the server's default).
	Events(ctx context.Context, buffer int) (Stream, error)
	// RunClient runs a simulated client with a built-in profile against
	// the server itself and returns its verdict and WindowsUpdate.log.
	RunClient(ctx context.Context, req ClientRunRequest) (ClientRun, error)
	// ServerLog returns the kept SoftwareDistribution.log lines numbered
	// above since.
	ServerLog(ctx context.Context, since uint64) (ServerLogPage, error)
	// Profiles names the built-in client profiles RunClient takes.
	Profiles(ctx context.Context) (ProfileList, error)
}

// Stream is a live feed of exchanges. Read it from one goroutine; Close it
// when done.
type Stream interface {
	// Next waits for the next event: an exchange, or the notice that the
	// reader fell behind. It returns soapserver.ErrClosed once the server
	// or the stream is closed.
	Next(ctx context.Context) (soapserver.Event, error)
	// Batch waits for events and appends to buf those waiting, at most
	// limit (limit <= 0: all), waiting first until interval has passed
	// since the last batch; see soapserver.Subscription.Batch.
	Batch(ctx context.Context, buf []soapserver.Event, limit int, interval time.Duration) ([]soapserver.Event, error)
	Close()
}

var (
	_ API = (*Controller)(nil)
	_ API = (*Client)(nil)
)

// Controller is the admin API in process: the control operations on a
// soapserver.Server. World changes go through the server's Update, which
// serialises writers; SOAP requests keep reading their snapshot.
type Controller struct {
	// URL is the server's own root, which RunClient points simulated
	// clients at; empty, RunClient is refused.
	URL string
	// Log keeps the server log lines ServerLog returns; nil keeps none.
	Log *LogRing

	srv  *soapserver.Server
	now  func() time.Time
	runs chan struct{} // one token per running simulated client
	// shared, when set, takes the world changes instead of srv.
	shared Shared
}

// Shared is a world that several servers share (package store keeps it in
// PostgreSQL): a Controller given one with Share sends its world changes
// there, in a transaction, and the store swaps the result into every
// server's snapshot. Each method returns an error from f as is.
type Shared interface {
	// Update changes the world through f, as soapserver.Server.Update.
	Update(ctx context.Context, f func(*scenarios.World) (*scenarios.World, error)) error
	// Select makes w the world, as soapserver.Server.SetWorld.
	Select(ctx context.Context, w *scenarios.World) error
	// Reset returns to the scenario's initial state and removes the fault
	// rules; each server clears its own journal.
	Reset(ctx context.Context) error
	// AddFault adds a validated rule and returns it with its ID.
	AddFault(ctx context.Context, rule soapserver.FaultRule) (soapserver.FaultRule, error)
	// RemoveFault removes a rule and says whether there was one.
	RemoveFault(ctx context.Context, id string) (bool, error)
	// ClearFaults removes every rule and says how many there were.
	ClearFaults(ctx context.Context) (int, error)
}

// Share sends the controller's world changes to sh from now on. Call it
// before the controller serves.
func (c *Controller) Share(sh Shared) { c.shared = sh }

// update changes the world, shared or in memory.
func (c *Controller) update(ctx context.Context, f func(*scenarios.World) (*scenarios.World, error)) error {
	if c.shared != nil {
		return c.shared.Update(ctx, f)
	}
	return c.srv.Update(f)
}

// NewController controls srv. now stamps approvals; nil means time.Now.
func NewController(srv *soapserver.Server, now func() time.Time) *Controller {
	if now == nil {
		now = time.Now
	}
	return &Controller{srv: srv, now: now, runs: make(chan struct{}, MaxClientRuns)}
}

// Info describes the server as it is now.
func (c *Controller) Info(context.Context) (ServerInfo, error) { return c.info(), nil }

func (c *Controller) info() ServerInfo { return describe(c.srv.World(), c.srv.FaultStatus()) }

// describe is the ServerInfo of a world served with WSUS faults sent as
// faultStatus.
func describe(w *scenarios.World, faultStatus int) ServerInfo {
	b := w.Build()
	hotfixes := b.Hotfixes
	if hotfixes == nil {
		hotfixes = []string{}
	}
	return ServerInfo{
		Product:                  b.Product,
		Version:                  b.Version,
		VersionStringRegistryKey: VersionStringKey,
		ClientDLLVersion:         b.ClientDLLVersion,
		ProtocolVersion:          b.ProtocolVersion,
		Scenario:                 w.Scenario().Name,
		Build:                    b.ID,
		Hotfixes:                 hotfixes,
		FaultStatus:              faultStatus,
		WsusmockVersion:          Version(),
	}
}

// InstallHotfix installs a hotfix the way its installer would: KB954960
// applies to WSUS 3.0 SP1 only and is refused (Conflict, with the reason)
// on RTM and SP2; an unknown KB is NotFound. Installing twice is harmless:
// Changed says whether the world changed.
func (c *Controller) InstallHotfix(ctx context.Context, kb string) (HotfixResult, error) {
	changed := false
	err := c.update(ctx, func(w *scenarios.World) (*scenarios.World, error) {
		next, err := w.InstallHotfix(kb)
		changed = err == nil && next != w
		return next, err
	})
	if err != nil {
		return HotfixResult{}, remediationError(err)
	}
	return HotfixResult{Hotfix: scenarios.HotfixKB954960, Changed: changed, Server: c.info()}, nil
}

// RemoveHotfix always refuses (NotAllowed), as the real update did:
// advisory 954960's update cannot be removed on its own.
func (c *Controller) RemoveHotfix(_ context.Context, kb string) error {
	if !strings.EqualFold(kb, scenarios.HotfixKB954960) {
		return refuse(NotFound, "unknown hotfix "+kb, "the mock knows only "+scenarios.HotfixKB954960)
	}
	return refuse(NotAllowed, scenarios.HotfixKB954960+" cannot be removed",
		"the update cannot be removed on its own; to go back, WSUS 3.0 SP1 must be uninstalled and installed again (advisory 954960)")
}

// Updates lists the catalog with approvals per target group.
func (c *Controller) Updates(context.Context) ([]CatalogUpdate, error) {
	return catalogUpdates(c.srv.World()), nil
}

func catalogUpdates(w *scenarios.World) []CatalogUpdate {
	in := w.Updates()
	out := make([]CatalogUpdate, len(in))
	for i, u := range in {
		r := u.Revision
		cu := CatalogUpdate{UpdateID: r.UpdateID, RevisionID: r.RevisionID, RevisionNumber: r.RevisionNumber,
			Title: r.Title, KBArticle: r.KBArticle, UpdateType: r.UpdateType, IsLeaf: u.IsLeaf,
			Approvals: make([]GroupApproval, len(u.Groups))}
		for j, g := range u.Groups {
			ga := GroupApproval{Group: g.Group, State: g.State, Inconsistent: g.Inconsistent, Deployments: []Deployment{}}
			for _, d := range g.Deployments {
				ga.Deployments = append(ga.Deployments, Deployment{DeploymentID: d.DeploymentID, Action: d.Action, LastChange: d.LastChange})
			}
			cu.Approvals[j] = ga
		}
		out[i] = cu
	}
	return out
}

// Approve approves updateID for Install to group ("" means All Computers),
// replacing the group's rows for it with one, and returns the update as it
// now stands. Approvals change deployment rows, not the configuration:
// GetConfig's LastChange stays, so clients see no ConfigChanged but get the
// update in ChangedUpdates on their next sync, as with WSUS.
func (c *Controller) Approve(ctx context.Context, updateID, group string) (ApprovalResult, error) {
	return c.approval(ctx, "approve", updateID, group, (*scenarios.World).Approve)
}

// Decline declines updateID in group ("" means All Computers), removing its
// rows there. Decline, Approve, Decline of "Office 2003 Service Pack 1" is
// the console workaround of advisory 954960 for WSUS 3.0 RTM.
func (c *Controller) Decline(ctx context.Context, updateID, group string) (ApprovalResult, error) {
	return c.approval(ctx, "decline", updateID, group, (*scenarios.World).Decline)
}

func (c *Controller) approval(ctx context.Context, action, updateID, group string, change func(*scenarios.World, string, string, time.Time) (*scenarios.World, error)) (ApprovalResult, error) {
	if group == "" {
		group = scenarios.AllComputers
	}
	res := ApprovalResult{Action: action, Group: group}
	err := c.update(ctx, func(w *scenarios.World) (*scenarios.World, error) {
		next, err := change(w, updateID, group, c.now())
		if err != nil {
			return nil, err
		}
		for _, u := range catalogUpdates(next) {
			if strings.EqualFold(u.UpdateID, updateID) {
				res.Update = u
			}
		}
		return next, nil
	})
	if err != nil {
		return ApprovalResult{}, approvalError(err, updateID, group)
	}
	return res, nil
}

// remediationError words a refusal of scenarios' remediation methods for
// the admin API, by its kind.
func remediationError(err error) error {
	var he *scenarios.HotfixError
	switch {
	case errors.As(err, &he) && errors.Is(err, scenarios.ErrUnknownHotfix):
		return refuse(NotFound, "unknown hotfix "+he.KB, "the mock knows only "+scenarios.HotfixKB954960)
	case errors.As(err, &he):
		return refuse(Conflict, he.KB+" cannot be installed on "+he.BuildID, he.Reason)
	case errors.Is(err, scenarios.ErrNotAllowed):
		return refuse(Conflict, "refused", err.Error())
	}
	return err
}

// approvalError words a refused approval or declination.
func approvalError(err error, updateID, group string) error {
	switch {
	case errors.Is(err, scenarios.ErrUnknownUpdate):
		return refuse(NotFound, "update "+updateID+" is not in the catalog", "GET /__admin/updates lists the catalog's update IDs")
	case errors.Is(err, scenarios.ErrUnknownGroup):
		return &Error{Code: NotFound, Message: "target group " + group + " does not exist", Reason: err.Error(), Field: "group"}
	}
	return remediationError(err)
}

// Scenario names the scenario served and the built-in ones.
func (c *Controller) Scenario(context.Context) (ScenarioInfo, error) {
	sc := c.srv.World().Scenario()
	info := ScenarioInfo{Name: sc.Name, Description: sc.Description, Builtin: []string{}}
	for _, b := range scenarios.Builtins() {
		info.Builtin = append(info.Builtin, b.Name)
	}
	return info, nil
}

// SelectScenario switches to a built-in scenario, which also becomes what
// Reset returns to. Fault rules and the journal stay.
func (c *Controller) SelectScenario(ctx context.Context, name string) (ServerInfo, error) {
	if name == "" {
		return ServerInfo{}, &Error{Code: Invalid, Message: "bad request body", Reason: "name: missing", Field: "name"}
	}
	sc, err := scenarios.Builtin(name)
	if errors.Is(err, scenarios.ErrUnknownScenario) {
		return ServerInfo{}, &Error{Code: NotFound, Message: "unknown scenario " + name, Reason: err.Error(), Field: "name"}
	}
	if err != nil {
		return ServerInfo{}, err
	}
	w, err := scenarios.NewWorld(sc)
	if err != nil {
		return ServerInfo{}, err
	}
	if c.shared != nil {
		if err := c.shared.Select(ctx, w); err != nil {
			return ServerInfo{}, err
		}
		return c.info(), nil
	}
	c.srv.SetWorld(w)
	return c.info(), nil
}

// Reset returns to the initial state of the selected scenario (hotfixes and
// approvals undone), removes every fault rule and clears the journal, so a
// spec starts from a known server. Event streams stay connected. The
// server log gets a marker line, so that what follows reads as a new
// start.
func (c *Controller) Reset(ctx context.Context) (ServerInfo, error) {
	if c.shared != nil {
		if err := c.shared.Reset(ctx); err != nil {
			return ServerInfo{}, err
		}
	} else {
		c.srv.Reset()
	}
	info := c.info()
	if sl := c.srv.ServerLog(); sl != nil {
		sl.Log(wsuslog.LevelInfo, "wsusmock", ResetMarkerSource,
			"----- reset: scenario "+info.Scenario+" restored, fault rules and journal cleared -----")
	}
	return info, nil
}

// ResetMarkerSource is the Class.Method column of the server log line a
// reset writes.
const ResetMarkerSource = "wsusmock.Reset"

// ServerLog returns the kept server log lines numbered above since.
func (c *Controller) ServerLog(_ context.Context, since uint64) (ServerLogPage, error) {
	if c.Log == nil {
		return ServerLogPage{Lines: []LogLine{}}, nil
	}
	return ServerLogPage{Lines: c.Log.Since(since)}, nil
}

// AddFault installs a fault rule after the existing ones and returns it with
// its ID; a rule that does not validate is Invalid, naming the field.
func (c *Controller) AddFault(ctx context.Context, rule soapserver.FaultRule) (soapserver.FaultRule, error) {
	var (
		added soapserver.FaultRule
		err   error
	)
	if c.shared != nil {
		if added, err = soapserver.ValidateFault(rule); err == nil {
			added, err = c.shared.AddFault(ctx, added)
		}
	} else {
		added, err = c.srv.AddFault(rule)
	}
	var re *soapserver.RuleError
	if errors.As(err, &re) {
		return soapserver.FaultRule{}, &Error{Code: Invalid, Message: "invalid fault rule", Reason: re.Field + ": " + re.Reason, Field: re.Field}
	}
	return added, err
}

// Faults lists the installed rules with their counters.
func (c *Controller) Faults(context.Context) ([]soapserver.FaultRule, error) {
	return c.srv.Faults(), nil
}

// Fault returns the rule with the ID.
func (c *Controller) Fault(_ context.Context, id string) (soapserver.FaultRule, error) {
	for _, fr := range c.srv.Faults() {
		if fr.ID == id {
			return fr, nil
		}
	}
	return soapserver.FaultRule{}, noRule(id)
}

// RemoveFault removes the rule with the ID.
func (c *Controller) RemoveFault(ctx context.Context, id string) error {
	if c.shared != nil {
		found, err := c.shared.RemoveFault(ctx, id)
		if err != nil {
			return err
		}
		if !found {
			return noRule(id)
		}
		return nil
	}
	if !c.srv.RemoveFault(id) {
		return noRule(id)
	}
	return nil
}

func noRule(id string) *Error {
	return refuse(NotFound, "no fault rule "+id, "GET /__admin/faults lists the rules")
}

// ClearFaults removes every rule and says how many there were.
func (c *Controller) ClearFaults(ctx context.Context) (int, error) {
	if c.shared != nil {
		return c.shared.ClearFaults(ctx)
	}
	return c.srv.ClearFaults(), nil
}

// Journal returns the recorded exchanges the filter selects, oldest first.
func (c *Controller) Journal(_ context.Context, f soapserver.JournalFilter) (soapserver.JournalPage, error) {
	return c.srv.Journal(f), nil
}

// ClearJournal forgets the recorded exchanges; sequence numbers continue.
func (c *Controller) ClearJournal(context.Context) error {
	c.srv.ClearJournal()
	return nil
}

// Events subscribes to the exchanges recorded from now on.
func (c *Controller) Events(_ context.Context, buffer int) (Stream, error) {
	if buffer < 0 || buffer > soapserver.MaxEventBuffer {
		return nil, &Error{Code: Invalid, Message: "bad query", Field: "buffer",
			Reason: fmt.Sprintf("buffer: %d is not in 1..%d", buffer, soapserver.MaxEventBuffer)}
	}
	return c.srv.Subscribe(buffer), nil
}
