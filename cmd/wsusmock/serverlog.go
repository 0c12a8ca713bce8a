package main

import (
	"fmt"
	"io"
	"os"

	"gopkg.in/natefinch/lumberjack.v2"
)

// defaultServerLogBackups is how many rotated server logs are kept when
// --server-log-max-size is set and --server-log-backups is not.
const defaultServerLogBackups = 5

// openServerLog opens the file behind --server-log, appending. With
// maxMiB > 0 it is rotated once it would pass maxMiB MiB: the file is
// renamed with a timestamp (SoftwareDistribution-2008-06-14T02-59-57.642.log)
// and a new one begun; backups bounds the renamed files kept (0 keeps
// all). The file is opened here in either case so that a path that
// cannot be written is refused at start.
func openServerLog(path string, maxMiB, backups int) (io.WriteCloser, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	if maxMiB == 0 {
		return f, nil
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	return &lumberjack.Logger{Filename: path, MaxSize: maxMiB, MaxBackups: backups}, nil
}
