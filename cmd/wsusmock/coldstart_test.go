package main

import (
	"bufio"
	"bytes"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/wsusmock/wsusmock/wusp"
)

// BenchmarkColdStart measures what a CI suite waits for each time it starts
// a server: from exec of the binary to the first GetConfig answer, on a free
// loopback port. The README records the figure; run with
//
//	go test ./cmd/wsusmock -run '^$' -bench ColdStart -benchtime 20x
func BenchmarkColdStart(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "wsusmock")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	body := wusp.MarshalRequest(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"})
	addrRe := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		var addr string
		for sc := bufio.NewScanner(stderr); addr == "" && sc.Scan(); {
			if m := addrRe.FindStringSubmatch(sc.Text()); m != nil {
				addr = m[1]
			}
		}
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/ClientWebService/client.asmx", bytes.NewReader(body))
		req.Header.Set("SOAPAction", wusp.OpGetConfig.QuotedSOAPAction())
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("first GetConfig: %v %v", err, resp)
		}
		resp.Body.Close()
		b.StopTimer()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		b.StartTimer()
	}
}
