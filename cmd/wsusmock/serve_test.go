package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/installroot"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
)

func newInstallRootServer(t *testing.T, dir string, log *bytes.Buffer) *admin.Controller {
	t.Helper()
	sc, err := scenarios.Builtin("sp1-office2003")
	if err != nil {
		t.Fatal(err)
	}
	world, err := scenarios.NewWorld(sc)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(log, nil))
	server, err := soapserver.New(world, soapserver.Config{OnChange: installRootWriter(dir, logger)})
	if err != nil {
		t.Fatal(err)
	}
	return admin.NewController(server, nil)
}

// --install-root follows the server: 3.1.6001.65 at start, 3.1.6001.66 once
// KB954960 is in, and back after a reset.
func TestInstallRootFollowsServer(t *testing.T) {
	dir := t.TempDir()
	var log bytes.Buffer
	server := newInstallRootServer(t, dir, &log)
	dll := filepath.Join(dir, installroot.ClientDLLPath)
	version := func() string {
		t.Helper()
		vi, err := installroot.ReadVersionInfo(dll)
		if err != nil {
			t.Fatal(err)
		}
		return vi.FileVersion
	}
	if v := version(); v != "3.1.6001.65" {
		t.Errorf("at start: %s, want 3.1.6001.65", v)
	}
	if _, err := server.InstallHotfix(t.Context(), "KB954960"); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != "3.1.6001.66" {
		t.Errorf("after KB954960: %s, want 3.1.6001.66", v)
	}
	reg, err := os.ReadFile(filepath.Join(dir, installroot.RegistryFile))
	if err != nil || !strings.Contains(string(reg), `"VersionString"="3.1.6001.65"`) {
		t.Errorf("registry.reg after KB954960 (VersionString unchanged): %q, %v", reg, err)
	}
	if _, err := server.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != "3.1.6001.65" {
		t.Errorf("after reset: %s, want 3.1.6001.65", v)
	}
	if n := strings.Count(log.String(), "install root written"); n != 3 {
		t.Errorf("%d writes logged, want 3:\n%s", n, log.String())
	}
}

// A failed write is logged and the server goes on.
func TestInstallRootWriteFailureIsLogged(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	server := newInstallRootServer(t, filepath.Join(blocker, "root"), &log)
	if _, err := server.InstallHotfix(t.Context(), "KB954960"); err != nil {
		t.Fatal(err)
	}
	if got, _ := server.Info(t.Context()); got.ClientDLLVersion != "3.1.6001.66" {
		t.Errorf("server: %s, want 3.1.6001.66", got.ClientDLLVersion)
	}
	if n := strings.Count(log.String(), "level=ERROR msg=\"install root\""); n != 2 {
		t.Errorf("%d errors logged, want 2 (start, hotfix):\n%s", n, log.String())
	}
}
