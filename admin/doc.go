// Package admin is wsusmock's control plane, both sides of the wire: the
// admin API that installs KB954960, approves and declines updates, switches
// scenarios, injects faults and reads the exchange journal, as JSON under
// /__admin/ on the server's own listener.
//
// Controller runs the operations in process on a soapserver.Server;
// Handler serves them over HTTP with its access rules (Access: loopback or
// bearer token, no cross-site requests, no foreign Host, JSON bodies
// only); Client calls them over HTTP. Controller and Client have the same
// context-first method set, API, and refuse with the same *Error, whose
// Code maps to one HTTP status:
//
//	c, _ := admin.NewClient("http://127.0.0.1:8530", "")
//	info, err := c.Info(ctx)                       // Client.dll 3.1.6001.65
//	_, err = c.InstallHotfix(ctx, "KB954960")      // Client.dll 3.1.6001.66
//	var e *admin.Error
//	if errors.As(err, &e) && e.Code == admin.Conflict {
//		// WSUS 3.0 RTM or SP2: e.Reason says why, and what to do instead
//	}
//
// The request and reply types are the JSON of the routes; README's "Admin
// API" section lists the routes.
//
// The handler also serves the dashboard at UIPath: a page embedded from
// admin/ui that follows the event stream as Server-Sent Events, runs
// simulated clients on the server (RunClient, bounded to MaxClientRuns at
// a time), shows the server log the server keeps in a LogRing beside the
// client's, and calls the same routes, under the same access rules, for
// every button.
package admin
