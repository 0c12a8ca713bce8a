// Package soapserver is the HTTP and SOAP 1.1 face of wsusmock: it routes the
// three WSUS 3.0 endpoints (case-insensitively, as IIS did), serves their
// WSDL, dispatches on SOAPAction, runs the ClientWebService, SimpleAuth and
// Reporting operations against the current scenario snapshot, and presents
// results and faults the way ASP.NET 2.0 wrote them.
//
// A Server is an http.Handler:
//
//	world, _ := scenarios.NewWorld(mustBuiltin("sp1-office2003"))
//	srv, _ := soapserver.New(world, soapserver.Config{})
//	http.ListenAndServe("127.0.0.1:8530", srv)
//
// The server keeps no per-client state: a client's state travels in its
// sealed cookie. The world (scenario, approvals, hotfixes) is one immutable
// snapshot swapped atomically by SetWorld, so requests never see half a
// change and the hot path takes no lock.
//
// The same listener answers the admin API, JSON under /__admin/, for
// remediation and test tooling: the server's versions (GET server), KB954960
// (POST/DELETE hotfixes/KB954960), approvals (GET updates, POST
// updates/{id}/approve|decline), the scenario (GET/PUT scenario, POST
// reset), fault injection (POST/GET/DELETE faults, DELETE faults/{id}), the
// exchange journal (GET/DELETE journal) and a live stream of exchanges (GET
// events, newline-delimited JSON). Only loopback callers are served unless
// Config.AdminToken is set; then every caller must present it as a bearer
// token. Each route has a Go method on Server (Info, InstallHotfix,
// Approve, Decline, SelectScenario, Reset, AddFault, Faults, Journal,
// Subscribe, …), and world changes go through Update, which serialises
// writers while readers keep their atomic load.
package soapserver
