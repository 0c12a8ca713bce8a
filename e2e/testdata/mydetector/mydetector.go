// Package mydetector stands for a user's detection tool: it reads a
// client's WindowsUpdate.log and says whether advisory 954960 hit it.
package mydetector

import (
	"strings"

	"github.com/wsusmock/wsusmock/detect"
)

// Affected reports whether the log shows the 954960 failure.
func Affected(windowsUpdateLog string) bool {
	rep, err := detect.Analyze("WindowsUpdate.log", strings.NewReader(windowsUpdateLog))
	return err == nil && rep.Verdict == detect.VerdictAffected
}
