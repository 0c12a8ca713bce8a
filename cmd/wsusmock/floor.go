package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wusp"
)

// runFloor is "wsusmock floor": the measuring stick of the load runs. It
// serves soapserver.Floor, a bare net/http handler that reads each request
// body and answers with the fixed bytes of the KB954960 fault, so that
// "wsusmock load" can put the server beside what no SOAP server can beat
// on the same machine in the same hour (README, "Performance").
func runFloor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("floor", "floor [flags]", stderr)
	addr := fs.String("addr", "127.0.0.1:8539", "listen address; port 0 picks a free port (the chosen one is logged as addr=HOST:PORT)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String() + wusp.ClientService.Path()
	fault := wusp.NewFault(wusp.InternalServerError, "")
	fault.Actor, fault.Method = url, wusp.OpSyncUpdates.QuotedSOAPAction()
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	hs := &http.Server{
		Handler:           soapserver.Floor(wusp.MarshalFault(fault)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	logger.Info("wsusmock floor listening", "addr", ln.Addr().String(), "url", url)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
