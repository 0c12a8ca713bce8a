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
// XML is read, requests and replies alike, by a tokenizer
// (github.com/orisano/gosax) into a slice-backed Element tree, refusing
// DTDs and nesting deeper than a bound. Requests and replies are written
// with github.com/beevik/etree, which keeps the prefixes the server chooses
// and the exact element order of the schema (XmlSerializer- and
// ATL-generated clients are order sensitive); the fault, the hot path's
// most frequent reply, is appended to a fixed frame instead.
package wusp
