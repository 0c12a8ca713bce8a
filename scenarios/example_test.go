package scenarios_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
)

// An Office 2003 client against the default scenario: the first two
// SyncUpdates calls succeed; the one that brings "Office 2003 Service Pack
// 1" (8862) into scope fails as GetSyncInfo did in June 2008. KB954960
// ends it.
func Example() {
	s, _ := scenarios.Builtin(scenarios.DefaultScenario)
	w, _ := scenarios.NewWorld(s)

	req := scenarios.SyncRequest{ClientProtocol: "1.6"}
	for round := 1; ; round++ {
		res, err := w.Sync(req)
		var dup *scenarios.DuplicateKeyError
		if errors.As(err, &dup) {
			fmt.Printf("round %d: %v\n", round, err)
			break
		}
		fmt.Printf("round %d: %d new updates\n", round, len(res.NewUpdates))
		for _, u := range res.NewUpdates { // an Office 2003 client has every category and detectoid
			req.InstalledNonLeaf = append(req.InstalledNonLeaf, u.ID)
		}
	}

	fixed, _ := w.InstallHotfix("KB954960")
	res, err := fixed.Sync(req)
	fmt.Println("Client.dll", fixed.Build().ClientDLLVersion, "- new updates:", len(res.NewUpdates), "error:", err)

	// Output:
	// round 1: 4 new updates
	// round 2: 2 new updates
	// round 3: Item has already been added. Key in dictionary: '8862'  Key being added: '8862'
	// Client.dll 3.1.6001.66 - new updates: 6 error: <nil>
}

// The console workaround on WSUS 3.0 RTM, where KB954960 does not install.
func ExampleWorld_Decline() {
	s, _ := scenarios.Builtin("rtm-office2003")
	w, _ := scenarios.NewWorld(s)
	_, err := w.InstallHotfix("KB954960")
	fmt.Println(err != nil)

	const office2003SP1 = "cc750251-d324-4187-8241-603a8445ad33"
	now := time.Date(2008, 7, 1, 9, 0, 0, 0, time.UTC)
	w, _ = w.Decline(office2003SP1, scenarios.AllComputers, now)
	w, _ = w.Approve(office2003SP1, scenarios.AllComputers, now.Add(time.Minute))
	w, _ = w.Decline(office2003SP1, scenarios.AllComputers, now.Add(2*time.Minute))

	_, err = w.Sync(scenarios.SyncRequest{InstalledNonLeaf: []int{8001, 8002, 8003, 8004, 8010, 8011}})
	fmt.Println(err)
	// Output:
	// true
	// <nil>
}
