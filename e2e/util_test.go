package e2e_test

import (
	"io"
	"net/http"
	"strconv"

	. "github.com/onsi/gomega"
)

func itoa(n int) string { return strconv.Itoa(n) }

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}
