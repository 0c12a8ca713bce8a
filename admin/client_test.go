package admin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/internal/adminrig"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wusp"
)

const office2003SP1ID = "cc750251-d324-4187-8241-603a8445ad33" // revision 8862

// The typed client and the in-process controller are one API: the same
// calls give the same answers and the same refusals, by code.
func TestClientAndControllerAgree(t *testing.T) {
	ctx := context.Background()
	for name, api := range map[string]func(a *adminrig.Rig) admin.API{
		"Client":     func(a *adminrig.Rig) admin.API { return a.Client() },
		"Controller": func(a *adminrig.Rig) admin.API { return a.Control },
	} {
		t.Run(name, func(t *testing.T) {
			a := adminrig.Start(t, "rtm-office2003", soapserver.Config{})
			c := api(a)

			_, err := c.InstallHotfix(ctx, "KB954960")
			var e *admin.Error
			if !errors.As(err, &e) || e.Code != admin.Conflict || e.Reason == "" {
				t.Fatalf("KB954960 on RTM: %v, want a Conflict with the reason", err)
			}
			if err := c.RemoveHotfix(ctx, "KB954960"); !errors.Is(err, &admin.Error{Code: admin.NotAllowed}) {
				t.Errorf("RemoveHotfix: %v, want NotAllowed", err)
			}
			if _, err := c.Approve(ctx, "00000000-0000-0000-0000-000000000000", ""); !errors.Is(err, &admin.Error{Code: admin.NotFound}) {
				t.Errorf("unknown update: %v, want NotFound", err)
			}
			_, err = c.Approve(ctx, office2003SP1ID, "Nowhere")
			if !errors.As(err, &e) || e.Code != admin.NotFound || e.Field != "group" {
				t.Errorf("unknown group: %v, want NotFound on field group", err)
			}

			// The console workaround, through the typed API.
			for _, step := range []func(context.Context, string, string) (admin.ApprovalResult, error){c.Decline, c.Approve, c.Decline} {
				res, err := step(ctx, office2003SP1ID, "")
				if err != nil {
					t.Fatal(err)
				}
				if g, _ := res.Update.Approval("All Computers"); g.Inconsistent || res.Group != "All Computers" {
					t.Errorf("%s: %+v", res.Action, g)
				}
			}

			rule, err := c.AddFault(ctx, soapserver.FaultRule{Operation: "GetConfig", ErrorCode: wusp.ServerBusy})
			if err != nil || rule.ID == "" {
				t.Fatalf("AddFault: %+v %v", rule, err)
			}
			if _, err := c.AddFault(ctx, soapserver.FaultRule{ErrorCode: "ServerOnFire"}); !errors.As(err, &e) || e.Code != admin.Invalid || e.Field != "error_code" {
				t.Errorf("bad rule: %v", err)
			}
			a.GetConfig()
			page, err := c.Journal(ctx, soapserver.JournalFilter{Fault: string(wusp.ServerBusy)})
			if err != nil || len(page.Entries) != 1 || page.Entries[0].Injected != rule.ID {
				t.Errorf("journal: %+v %v", page, err)
			}
			if n, err := c.ClearFaults(ctx); n != 1 || err != nil {
				t.Errorf("ClearFaults: %d %v", n, err)
			}
			info, err := c.SelectScenario(ctx, "sp1-office2003")
			if err != nil || info.ClientDLLVersion != "3.1.6001.65" {
				t.Fatalf("SelectScenario: %+v %v", info, err)
			}
			res, err := c.InstallHotfix(ctx, "kb954960")
			if err != nil || !res.Changed || res.Server.ClientDLLVersion != "3.1.6001.66" {
				t.Errorf("InstallHotfix on SP1: %+v %v", res, err)
			}
		})
	}
}

// A stream opened through the client sees each exchange, and ends when the
// server closes.
func TestClientEvents(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := a.Client().Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	a.GetConfig()
	ev, err := stream.Next(ctx)
	if err != nil || ev.Entry == nil || ev.Entry.Operation != "GetConfig" {
		t.Fatalf("first event: %+v %v", ev, err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if ev, err := stream.Next(ctx); !errors.Is(err, soapserver.ErrClosed) {
		t.Errorf("after Close: %+v %v, want ErrClosed", ev, err)
	}
}

func TestNewClientRefusesABadURL(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8530", "ftp://127.0.0.1/", "http://"} {
		if _, err := admin.NewClient(u, ""); err == nil {
			t.Errorf("NewClient(%q) accepted", u)
		}
	}
}
