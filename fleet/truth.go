package fleet

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// GroundTruth is the content of ground-truth.json: what every machine of a
// fleet met, against which a detection tool run over the fleet's logs is
// scored.
//
//	{
//	  "server": "http://127.0.0.1:8530",
//	  "mix": "xp-sp3-office2003=30,xp-sp3=70",
//	  "clients": 2000,
//	  "machines": [
//	    {"host": "ws00001", "client_id": "…", "profile": "xp-sp3", "outcome": "succeeded",
//	     "affected": false, "log": "ws00001/WindowsUpdate.log"},
//	    {"host": "ws00002", "client_id": "…", "profile": "xp-sp3-office2003", "outcome": "failed",
//	     "affected": true, "hresult": "0x8024400E", "operation": "SyncUpdates", "http_status": 200,
//	     "error_code": "InternalServerError", "fault_id": "…", "log": "ws00002/WindowsUpdate.log"},
//	    …
//	  ],
//	  "summary": {…}
//	}
//
// Machines are listed in the order their cycles ended; a machine never
// started (the run was interrupted) is not listed.
type GroundTruth struct {
	Server   string    `json:"server"`
	Mix      string    `json:"mix"`
	Clients  int       `json:"clients"`
	Machines []Machine `json:"machines"`
	Summary  *Summary  `json:"summary"`
}

// ReadGroundTruth reads a ground-truth.json.
func ReadGroundTruth(path string) (*GroundTruth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var gt GroundTruth
	if err := json.NewDecoder(bufio.NewReader(f)).Decode(&gt); err != nil {
		return nil, fmt.Errorf("%s: not a ground truth file: %w", path, err)
	}
	for i, m := range gt.Machines {
		if m.Host == "" {
			return nil, fmt.Errorf("%s: machine %d has no host", path, i+1)
		}
	}
	return &gt, nil
}

// truthWriter streams ground-truth.json: the header first, each machine as
// its cycle ends, the summary last, so the file never has to be held in
// memory.
type truthWriter struct {
	path string
	file *os.File
	w    *bufio.Writer
	n    int
}

func createTruth(path string, f *Fleet) (*truthWriter, error) {
	file, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	t := &truthWriter{path: path, file: file, w: bufio.NewWriter(file)}
	head, _ := json.Marshal(struct {
		Server  string `json:"server"`
		Mix     string `json:"mix"`
		Clients int    `json:"clients"`
	}{f.ServerURL, f.Mix.String(), f.Clients})
	// The header object is reopened to append the machines to it.
	t.w.Write(head[:len(head)-1])
	_, err = io.WriteString(t.w, `,"machines":[`)
	return t, t.wrap(err)
}

func (t *truthWriter) add(m Machine) error {
	b, err := json.Marshal(m)
	if err != nil {
		return t.wrap(err)
	}
	sep := ",\n"
	if t.n == 0 {
		sep = "\n"
	}
	t.n++
	t.w.WriteString(sep)
	_, err = t.w.Write(b)
	return t.wrap(err)
}

func (t *truthWriter) close(s *Summary) error {
	b, err := json.Marshal(s)
	if err == nil {
		t.w.WriteString("\n],\"summary\":")
		t.w.Write(b)
		_, err = t.w.WriteString("}\n")
	}
	err = errors.Join(err, t.w.Flush(), t.file.Close())
	return t.wrap(err)
}

func (t *truthWriter) wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("fleet: writing %s: %w", t.path, err)
}
