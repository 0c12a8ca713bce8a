// Command fixgen repairs, in place, a Go file that gowsdl v0.5.0 generated
// from one of the WSUS WSDLs. It runs from go:generate right after gowsdl:
//
//	go run ./internal/fixgen -wsdl ../../fixtures/wsdl/Client.wsdl client/client.go
//
// The repairs, each needed for calls against a WSUS server to work (see
// ../../README.md):
//
//   - An element named "int" becomes an unexported Go field, which
//     encoding/xml skips: every ArrayOfInt is empty on the wire, both ways
//     (gowsdl issue #275). fixgen exports it as Aint, the name gowsdl gives
//     "string" (Astring) and the one upstream's pending fix uses.
//   - Every field is tagged omitempty, so a required false, 0 or "" is not
//     sent and the server answers InvalidParameters (gowsdl issue #187).
//     fixgen drops omitempty from the xml tag of every element with
//     minOccurs other than 0 and every attribute with use="required", as the
//     WSDL says.
//   - The generated operations call soap.Client.CallContext, which decodes
//     no fault detail, so a WSUS fault arrives without its ErrorCode and ID.
//     fixgen adds a FaultDetail type and makes the operations call
//     CallContextWithFaultDetail.
//
// fixgen edits the syntax tree (go/parser, go/ast, go/format), not the text,
// and is idempotent. It fails if the WSDL names a required field the file
// lacks, so a change in gowsdl's naming cannot pass unnoticed.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fixgen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fixgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	wsdlPath := fs.String("wsdl", "", "the WSDL the Go `file` was generated from")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: fixgen -wsdl service.wsdl generated.go")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *wsdlPath == "" || fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("want -wsdl and one Go file")
	}
	goPath := fs.Arg(0)

	wsdl, err := os.ReadFile(*wsdlPath)
	if err != nil {
		return err
	}
	req, err := readRequirements(wsdl)
	if err != nil {
		return fmt.Errorf("%s: %w", *wsdlPath, err)
	}
	src, err := os.ReadFile(goPath)
	if err != nil {
		return err
	}
	out, rep, err := fix(goPath, src, req)
	if err != nil {
		return err
	}
	if err := os.WriteFile(goPath, out, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fixgen: %s: %s\n", goPath, rep)
	return nil
}
