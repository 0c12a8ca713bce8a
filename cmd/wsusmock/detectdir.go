package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/wsusmock/wsusmock/detect"
	"github.com/wsusmock/wsusmock/fleet"
)

// verdictUnreadable is the verdict of a host whose log could not be read:
// it is shown and counted, never taken for clean.
const verdictUnreadable = "unreadable"

// hostVerdicts is the order of the verdicts in the tally and the matrix.
var hostVerdicts = []string{
	string(detect.VerdictAffected), string(detect.VerdictRecovered), string(detect.VerdictOtherSOAPFault),
	string(detect.VerdictClean), string(detect.VerdictIncomplete), string(detect.VerdictUnrecognised),
	verdictUnreadable, fleet.VerdictNoLog,
}

// splitDirs returns the directories among the inputs. Directories are
// read as trees of logs, one verdict per host; they are not mixed with
// files or probes, whose reports are correlated with each other.
func splitDirs(inputs, probes []string, truth string) ([]string, error) {
	var dirs []string
	for _, in := range inputs {
		if st, err := os.Stat(in); err == nil && st.IsDir() {
			dirs = append(dirs, in)
		}
	}
	switch {
	case len(dirs) > 0 && (len(dirs) < len(inputs) || len(probes) > 0):
		return nil, usageError{"detect: give directories, or files and --probe, not both"}
	case truth != "" && len(dirs) == 0:
		return nil, usageError{"detect: --ground-truth scores the hosts of a directory; give DIR"}
	}
	return dirs, nil
}

type detectDirOptions struct {
	json, summary bool
	truth         string
}

// hostOf is the host a log belongs to: the directory holding it, or, for
// a log at the top of the tree, its name without the extension.
func hostOf(rel string) string {
	if d := filepath.Dir(rel); d != "." {
		return filepath.Base(d)
	}
	return strings.TrimSuffix(rel, filepath.Ext(rel))
}

// runDetectDirs is "wsusmock detect DIR...": each log's report is printed
// as it is made, so memory holds one verdict per host, not the reports.
func runDetectDirs(dirs []string, opt detectDirOptions, stdout, stderr io.Writer) int {
	var truth *fleet.GroundTruth
	if opt.truth != "" {
		var err error
		if truth, err = fleet.ReadGroundTruth(opt.truth); err != nil {
			fmt.Fprintln(stderr, "wsusmock: detect:", err)
			return exitError
		}
	}
	verdicts := map[string]string{}
	worst, failed := detect.Verdict(""), false
	out := newReportStream(stdout, opt)
	record := func(host string, v string) {
		if old, ok := verdicts[host]; !ok || severity(v) > severity(old) {
			verdicts[host] = v
		}
	}
	for _, root := range dirs {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			rel, _ := filepath.Rel(root, path)
			if err != nil {
				// An unreadable directory hides its hosts' logs: say so.
				failed = true
				fmt.Fprintln(stderr, "wsusmock: detect:", err)
				if rel != "." {
					record(hostOf(filepath.Join(rel, "x.log")), verdictUnreadable)
				}
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".log") {
				return nil
			}
			rep, err := analyzeFile(path, nil)
			host := hostOf(rel)
			if err != nil {
				failed = true
				fmt.Fprintln(stderr, "wsusmock: detect:", err)
			}
			switch {
			case rep.Verdict == "":
				record(host, verdictUnreadable)
			case err != nil:
				// Read in part: whatever its lines show, it was not read.
				record(host, string(rep.Verdict))
				record(host, verdictUnreadable)
			default:
				record(host, string(rep.Verdict))
			}
			if rep.Verdict != "" {
				if detect.Worst([]detect.Report{{Verdict: worst}, rep}) == rep.Verdict {
					worst = rep.Verdict
				}
				out.report(rep)
			}
			return nil
		})
		if err != nil {
			failed = true
			fmt.Fprintln(stderr, "wsusmock: detect:", err)
		}
	}
	var score *fleet.Score
	if truth != nil {
		s := truth.Score(verdicts)
		score = &s
	}
	if err := out.finish(tally(verdicts), score, opt.truth, len(verdicts)); err != nil {
		fmt.Fprintln(stderr, "wsusmock: detect:", err)
		return exitError
	}
	return detectExit(worst, failed)
}

// severity orders host verdicts: a host's verdict is the worst of its
// logs', and a log that could not be read outweighs a clean one.
func severity(v string) int {
	switch v {
	case string(detect.VerdictAffected):
		return 7
	case string(detect.VerdictOtherSOAPFault):
		return 6
	case verdictUnreadable:
		return 5
	case string(detect.VerdictIncomplete):
		return 4
	case string(detect.VerdictUnrecognised):
		return 3
	case string(detect.VerdictRecovered):
		return 2
	case string(detect.VerdictClean):
		return 1
	}
	return 0
}

func tally(verdicts map[string]string) map[string]int {
	t := map[string]int{}
	for _, v := range verdicts {
		t[v]++
	}
	return t
}

// reportStream prints the reports of a directory as they come, as text
// blocks or as the "reports" array of one JSON object:
//
//	{"reports": [...], "hosts": 2000, "verdicts": {"affected": 600, "clean": 1400}, "score": {...}}
type reportStream struct {
	w    io.Writer
	opt  detectDirOptions
	n    int
	err  error
	head bool
}

func newReportStream(w io.Writer, opt detectDirOptions) *reportStream {
	return &reportStream{w: w, opt: opt}
}

func (s *reportStream) report(r detect.Report) {
	if s.opt.summary || s.err != nil {
		return
	}
	if !s.opt.json {
		if s.n > 0 {
			fmt.Fprintln(s.w)
		}
		writeReport(s.w, r)
		s.n++
		return
	}
	sep := ",\n"
	if s.n == 0 {
		sep = "{\"reports\": [\n"
	}
	s.n++
	b, err := json.Marshal(r)
	if err == nil {
		_, err = fmt.Fprintf(s.w, "%s%s", sep, b)
	}
	s.err = err
}

func (s *reportStream) finish(verdicts map[string]int, score *fleet.Score, truthFile string, hosts int) error {
	if s.err != nil {
		return s.err
	}
	if s.opt.json {
		switch {
		case s.opt.summary:
			fmt.Fprint(s.w, "{")
		case s.n == 0:
			fmt.Fprint(s.w, "{\"reports\": [],\n")
		default:
			fmt.Fprint(s.w, "\n],\n")
		}
		tail, err := json.Marshal(struct {
			Hosts    int            `json:"hosts"`
			Verdicts map[string]int `json:"verdicts"`
			Score    *fleet.Score   `json:"score,omitempty"`
		}{hosts, verdicts, score})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(s.w, "%s\n", tail[1:])
		return err
	}
	if s.n > 0 {
		fmt.Fprintln(s.w)
	}
	fmt.Fprintf(s.w, "hosts: %d", hosts)
	sep := " ("
	for _, v := range hostVerdicts {
		if verdicts[v] > 0 {
			fmt.Fprintf(s.w, "%s%s %d", sep, v, verdicts[v])
			sep = ", "
		}
	}
	if sep == ", " {
		fmt.Fprint(s.w, ")")
	}
	fmt.Fprintln(s.w)
	if score != nil {
		writeScore(s.w, *score, truthFile)
	}
	return s.err
}

// writeScore prints the confusion matrix and precision and recall:
//
//	ground truth: fleet/ground-truth.json
//	truth \ verdict  affected  clean  incomplete
//	affected         600       0      0
//	not-affected     0         1400   0
//
//	precision (affected): 1.000 (600 of 600 hosts called affected are affected)
//	recall (affected):    1.000 (600 of 600 affected hosts were called affected)
func writeScore(w io.Writer, s fleet.Score, truthFile string) {
	fmt.Fprintf(w, "\nground truth: %s\n", truthFile)
	cols := []string{string(detect.VerdictAffected), string(detect.VerdictClean)}
	for _, v := range hostVerdicts {
		if v == cols[0] || v == cols[1] {
			continue
		}
		for _, row := range s.Matrix {
			if row[v] > 0 {
				cols = append(cols, v)
				break
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "truth \\ verdict\t%s\n", strings.Join(cols, "\t"))
	for _, row := range []string{fleet.TruthAffected, fleet.TruthNotAffected, fleet.TruthUnknown, fleet.TruthMissing} {
		counts := s.Matrix[row]
		if counts == nil && row != fleet.TruthAffected && row != fleet.TruthNotAffected {
			continue
		}
		fmt.Fprint(tw, row)
		for _, c := range cols {
			fmt.Fprintf(tw, "\t%d", counts[c])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(w)
	called, affected := s.TruePositives+s.FalsePositives, s.TruePositives+s.FalseNegatives
	fmt.Fprintf(w, "precision (affected): %s (%d of %d hosts called affected are affected)\n", ratio(s.Precision), s.TruePositives, called)
	fmt.Fprintf(w, "recall (affected):    %s (%d of %d affected hosts were called affected)\n", ratio(s.Recall), s.TruePositives, affected)
}

func ratio(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", *p)
}
