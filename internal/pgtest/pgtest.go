// Package pgtest runs a throwaway PostgreSQL cluster for tests: Debian's
// server binaries (/usr/lib/postgresql/*/bin), a data directory in a fresh
// temporary directory, a free loopback port, the unix socket in that
// directory, trust authentication, fsync off. The server is a child of the
// test process, stopped by its PID; run as root, it runs as the postgres
// user (PostgreSQL refuses to run as root).
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
	"syscall"
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

	bin string
	// cred, when set, is the postgres user the binaries run as.
	cred *syscall.Credential
	// server is the running postmaster; exited is closed when it ends.
	server *exec.Cmd
	exited chan struct{}
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
	c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return nil
}

// command is a server binary, run as postgres when the test runs as root.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }

// run runs a server binary to completion.
func (c *Cluster) run(name string, args ...string) error {
	cmd := c.command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", name, err, out.Bytes())
	}
	return nil
}

// Restart starts the server after Start created it or Stop stopped it, on
// the cluster's port if it has one, else on a free one, and waits until it
// accepts connections.
func (c *Cluster) Restart() error {
	if c.Port == 0 {
		port, err := freePort()
		if err != nil {
			return err
		}
		c.Port = port
		c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	}
	log, err := os.OpenFile(filepath.Join(c.Dir, "server.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := c.command("postgres", "-D", c.data(), "-p", strconv.Itoa(c.Port), "-k", c.Dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	c.server, c.exited = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(c.exited)
	}()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, c.URL)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-c.exited:
			out, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
			return fmt.Errorf("postgres exited at start:\n%s", out)
		default:
		}
		if time.Now().After(deadline) {
			c.Stop()
			return fmt.Errorf("postgres not accepting connections after 60 s: %w", err)
		}
	}
}

// Stop stops the server, keeping the data for Restart: SIGINT to its PID
// (PostgreSQL's fast shutdown), then SIGKILL if it has not ended in 30 s.
func (c *Cluster) Stop() error {
	if c.server == nil {
		return nil
	}
	defer func() { c.server = nil }()
	if err := c.server.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-c.exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = c.server.Process.Kill()
		<-c.exited
		return errors.New("postgres did not stop on SIGINT within 30 s; killed")
	}
}

// Destroy stops the server and removes the directory.
func (c *Cluster) Destroy() error {
	return errors.Join(c.Stop(), os.RemoveAll(c.Dir))
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
