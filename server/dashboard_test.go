package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/server"
)

// The server log goes to the file serve names and to the lines the
// dashboard reads, both; Close flushes the file.
func TestServerLogToFileAndDashboard(t *testing.T) {
	w, err := scenarios.BuiltinWorld("sp1-office2003")
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	s := &server.Server{World: w, ServerLog: &file}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	if want := s.URL() + "/__admin/ui/"; s.DashboardURL() != want {
		t.Errorf("DashboardURL %s, want %s", s.DashboardURL(), want)
	}
	ctx := context.Background()
	run, err := s.Control.RunClient(ctx, admin.ClientRunRequest{Profile: "xp-sp3-office2003"})
	if err != nil || run.FaultID == "" {
		t.Fatalf("run %+v, %v: want the KB954960 fault", run, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(file.String(), "ID="+run.FaultID) {
		t.Errorf("the server log file does not name fault %s:\n%s", run.FaultID, file.String())
	}
	page, err := s.Control.ServerLog(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kept strings.Builder
	for _, l := range page.Lines {
		kept.WriteString(l.Text + "\n")
	}
	if !strings.Contains(kept.String(), "ID="+run.FaultID) || !strings.Contains(file.String(), page.Lines[0].Text+"\r\n") {
		t.Errorf("the dashboard's lines differ from the file's:\n%s", kept.String())
	}
}
