// Package wuaclient simulates the Windows Update Agent 7.x of 2008 (WUA 7.0
// and 7.1, client protocol 1.0 and 1.6) running one detection cycle against
// a WSUS server, so that advisory 954960 can be reproduced and tested
// without a 2008 Windows client.
//
// A cycle follows docs/protocol-facts.md §1.7: the self-update check of
// selfupdate/wuident.cab (a server that cannot serve it makes the agent skip
// the scan, 0x80244019) → GetConfig → GetAuthorizationCookie (the
// SimpleTargeting plug-in at the ServiceUrl GetConfig names) → GetCookie →
// RegisterComputer when the server requires registration → SyncUpdates
// until nothing new comes and the answer is not truncated →
// GetExtendedUpdateInfo for the needed updates → ReportEventBatch (event
// 147 on success, 148 with the HRESULT on failure). WSUS faults are
// recovered from as MS-WUSP §2.2.2.4 prescribes (see Client.Detect); a
// fault is a fault whether it arrives with HTTP 200 or 500, and the log
// says "HTTP status code = 200" for it either way, as WUA 7.x did. The
// requests have the shape ATL Server's SOAP client gave them (atl.go).
//
// Between SyncUpdates rounds the client evaluates what it was offered, as
// WUA does: a Profile says which non-leaf revisions (detectoids, product
// categories) are installed, by UpdateID or by title. The installed ones go
// back in InstalledNonLeafUpdateIDs, which is what walks an Office 2003
// client into the part of the catalog where the 954960 defect waits.
//
// The cycle writes WindowsUpdate.log lines through package wsuslog, in
// English or in the Dutch rendering of the advisory, in the wording of the
// profile's agent version; Agent, Setup and PT share one thread, AU and the
// reporter have their own:
//
//	p, err := wuaclient.BuiltinProfile("xp-sp3-office2003")
//	if err != nil { … }
//	c := &wuaclient.Client{
//		ServerURL: "http://wsus01:8530/",
//		Profile:   p,
//		Log:       wsuslog.NewClientLogWriter(file), // CRLF lines, as WUA writes
//	}
//	res, err := c.Detect(ctx)
//	if err != nil { … } // cancelled, or the log could not be written
//	fmt.Println(res.Summary())
//	// result: failed hresult=0x8024400E fault=InternalServerError id=… operation=SyncUpdates http_status=200 round_trips=3
//
// A profile is a kind of machine; Client.ClientID and Client.DNSName make
// one Client a machine of its own (ClientIDFromName derives a stable
// SusClientId from a host name), as package fleet does for each of its
// machines.
//
// The HRESULTs are those of wuerror.h (docs/protocol-facts.md §3.1): a soap:Server
// fault is 0x8024400E, a soap:Client fault 0x8024400D, an HTTP error status
// without a SOAP body WU_E_PT_HTTP_STATUS_*, a failed connection
// WU_E_PT_SOAPCLIENT_CONNECT, more than 200 SyncUpdates round trips
// 0x80244010.
package wuaclient
