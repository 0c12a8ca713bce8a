// Package soapserver is the HTTP and SOAP 1.1 face of wsusmock: it routes the
// three WSUS 3.0 endpoints (case-insensitively, as IIS did), serves their
// WSDL, dispatches on SOAPAction, runs the ClientWebService, SimpleAuth and
// Reporting operations against the current scenario snapshot, and presents
// results and faults the way ASP.NET 2.0 wrote them.
//
// A Server is an http.Handler:
//
//	world, _ := scenarios.BuiltinWorld(scenarios.DefaultScenario)
//	srv, _ := soapserver.New(world, soapserver.Config{})
//	http.ListenAndServe("127.0.0.1:8530", srv)
//
// (package server assembles it with the admin API and the listener's
// timeouts, as `wsusmock serve` runs it).
//
// The server keeps no per-client state: a client's state travels in its
// sealed cookie. The world (scenario, approvals, hotfixes) is one immutable
// snapshot swapped atomically by SetWorld and Update, so requests never see
// half a change and the hot path takes no lock; Update serialises writers.
//
// What acts on one exchange lives here too: fault injection (AddFault,
// Faults, RemoveFault, ClearFaults), the bounded exchange journal (Journal,
// ClearJournal) and a live stream of exchanges (Subscribe). The admin API
// (package admin) is the control plane over these methods.
package soapserver
