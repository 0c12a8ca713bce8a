// Package wusp is the vocabulary of the Windows Update Services client–server
// protocol (MS-WUSP) as a WSUS 3.0 SP1 server spoke it in 2008: namespaces,
// SOAPAction values, the typed request and response messages with their XML
// encoding in both directions, the WSUS ErrorCodes and the SOAP fault that
// carries them.
//
// The server (package soapserver) and the client simulator share this
// package, so the schema is stated once. It knows nothing of HTTP servers or
// scenarios: it turns bytes into typed values and typed values into bytes.
//
// Requests are read by a tokenizer of the package's own into an Element
// tree held by a reusable Document (parse.go): the tree holds no pointers
// but to its Document, and names and text are spans of the body, so a
// pooled Document reads a request without allocating. FuzzParseTree holds
// it to etree's reader. Replies are written with
// github.com/beevik/etree, which keeps the prefixes the server chooses and
// the exact element order of the schema (XmlSerializer- and ATL-generated
// clients are order sensitive); the fault, SyncUpdates and
// GetExtendedUpdateInfo replies are appended to a caller's buffer with the
// same bytes (encode.go).
package wusp
