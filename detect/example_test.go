package detect_test

import (
	"fmt"

	"github.com/wsusmock/wsusmock/detect"
	"github.com/wsusmock/wsusmock/fixtures"
)

// The verdicts over the sample logs that ship with wsusmock: a client and
// a server log of the advisory 954960 failure, and a clean client log.
func ExampleAnalyze() {
	for _, name := range []string{"wu-en-affected.log", "sd-en-affected.log", "wu-en-clean-mentions-8024400e.log"} {
		f, err := fixtures.FS.Open("logs/" + name)
		if err != nil {
			fmt.Println(err)
			return
		}
		rep, err := detect.Analyze(name, f)
		f.Close()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %s, %s, keys %v\n", name, rep.Kind, rep.Verdict, rep.Keys)
	}
	// Output:
	// wu-en-affected.log: WindowsUpdate.log, affected, keys []
	// sd-en-affected.log: SoftwareDistribution.log, affected, keys [8862]
	// wu-en-clean-mentions-8024400e.log: WindowsUpdate.log, clean, keys []
}
