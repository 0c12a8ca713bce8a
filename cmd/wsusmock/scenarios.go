package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/wsusmock/wsusmock/scenarios"
)

func runScenarios(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("scenarios", "scenarios", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, s := range scenarios.Builtins() {
		mark := ""
		if s.Name == scenarios.DefaultScenario {
			mark = " (default)"
		}
		fmt.Fprintf(tw, "%s%s\t%s\n", s.Name, mark, s.Description)
	}
	return tw.Flush()
}
