// Package pgtest runs a throwaway PostgreSQL cluster for tests: Debian's
// server binaries (/usr/lib/postgresql/*/bin), a data directory in a fresh
// temporary directory, a free loopback port, the unix socket in that
// directory, trust authentication, fsync off. Run as root, the server runs
// as the postgres user (PostgreSQL refuses to run as root).
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotInstalled is returned by Start when no PostgreSQL server binaries
// are installed (Debian package postgresql).
var ErrNotInstalled = errors.New("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; apt-get install postgresql)")

// Cluster is a running throwaway cluster.
type Cluster struct {
	// Dir holds the data directory, the socket and the server's log.
	Dir string
	// Port is the loopback TCP port.
	Port int
	// URL connects to the postgres database as the superuser.
	URL string

	bin   string
	runAs []string
}

// Start creates and starts a cluster in a new temporary directory.
func Start() (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "wsusmock-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		if err := c.dropRoot(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := c.run("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.Restart(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// findBin is the bin directory of the newest installed server.
func findBin() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return "", ErrNotInstalled
	}
	sort.Slice(found, func(i, j int) bool { return version(found[i]) < version(found[j]) })
	return filepath.Dir(found[len(found)-1]), nil
}

func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// dropRoot hands the directory to the postgres user and runs the server
// binaries as it.
func (c *Cluster) dropRoot() error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs the postgres user to run PostgreSQL as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(c.Dir, uid, gid); err != nil {
		return err
	}
	c.runAs = []string{"runuser", "-u", "postgres", "--"}
	return nil
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }

// run runs a server binary, as postgres when the test runs as root.
func (c *Cluster) run(name string, args ...string) error {
	argv := append(append(append([]string(nil), c.runAs...), filepath.Join(c.bin, name)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", name, err, out.Bytes())
	}
	return nil
}

// Restart starts the server after Start created it or Stop stopped it, on
// the cluster's port if it has one, else on a free one.
func (c *Cluster) Restart() error {
	if c.Port == 0 {
		port, err := freePort()
		if err != nil {
			return err
		}
		c.Port = port
		c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", c.Port, c.Dir)
	return c.run("pg_ctl", "start", "-w", "-t", "60", "-D", c.data(), "-l", filepath.Join(c.Dir, "server.log"), "-o", opts)
}

// Stop stops the server (pg_ctl signals the postmaster by the PID in its
// pid file), keeping the data for Restart.
func (c *Cluster) Stop() error {
	return c.run("pg_ctl", "stop", "-w", "-m", "fast", "-D", c.data())
}

// Destroy stops the server and removes the directory.
func (c *Cluster) Destroy() error {
	err := c.Stop()
	if _, statErr := os.Stat(filepath.Join(c.data(), "postmaster.pid")); statErr != nil {
		err = nil // stopped already
	}
	return errors.Join(err, os.RemoveAll(c.Dir))
}

// CreateDatabase creates a database and returns its URL.
func (c *Cluster) CreateDatabase(name string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, name), nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Required says whether a missing PostgreSQL must fail the tests rather
// than skip them: in CI (CI=true), where .ci/run installs it.
func Required() bool { return os.Getenv("CI") == "true" }
