// Package fleet runs many simulated Windows Update Agents against one WSUS
// server, as a network of machines checking in, and leaves what a
// detection tool is judged on: every machine's WindowsUpdate.log where the
// tool would look for it, and the ground truth of what each machine met.
//
//	mix, err := fleet.ParseMix("xp-sp3-office2003=30,xp-sp3=70")
//	if err != nil { … }
//	f := &fleet.Fleet{ServerURL: srv.URL, Clients: 2000, Mix: mix, Dir: dir}
//	sum, err := f.Run(ctx)
//	// dir/ws00001/WindowsUpdate.log … dir/ws02000/WindowsUpdate.log
//	// dir/ground-truth.json
//	fmt.Println(sum.Affected) // 600: the Office 2003 machines of a 954960 scenario
//
// Machines are distinct clients to the server: machine i is named
// HostPrefix and i+1 (ws00001, …), sends that name as its DNS name, and
// has the SusClientId wuaclient.ClientIDFromName derives from it, the same
// on every run. Profiles are laid out over the machines by the mix's
// weights, interleaved and the same on every run (see Mix).
//
// Memory grows with the cycles in flight (Concurrency), not with Clients:
// logs go to their files as the cycles write them, and each machine's
// ground truth is appended to ground-truth.json when its cycle ends.
package fleet
