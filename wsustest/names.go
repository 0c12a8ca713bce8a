package wsustest

import "github.com/wsusmock/wsusmock/scenarios"

// The built-in scenarios, by name (`wsusmock scenarios` lists them).
const (
	// ScenarioSP1Office2003 is WSUS 3.0 SP1 with two deployment rows for
	// revision 8862: Office 2003 clients fail with InternalServerError.
	ScenarioSP1Office2003 = scenarios.DefaultScenario
	// ScenarioRTMOffice2003 is WSUS 3.0 RTM with the same data; KB954960
	// is refused there, and the console workaround helps.
	ScenarioRTMOffice2003 = "rtm-office2003"
	// ScenarioRTMOffice2003Declined is WSUS 3.0 RTM with 8862 already
	// Declined but its two rows left: a Decline changes nothing, and only
	// the whole workaround (decline, approve, decline) ends the failure.
	ScenarioRTMOffice2003Declined = "rtm-office2003-declined"
	// ScenarioSP1KB954960 is WSUS 3.0 SP1 with the fix installed.
	ScenarioSP1KB954960 = "sp1-kb954960"
	// ScenarioSP2 is WSUS 3.0 SP2, which contains the fix.
	ScenarioSP2 = "sp2"
	// ScenarioSP1Consistent is WSUS 3.0 SP1 without the fix and with one
	// row for 8862: it syncs, because the data, not the version, triggers
	// the defect.
	ScenarioSP1Consistent = "sp1-consistent"
)

// The built-in client profiles (wuaclient.BuiltinProfile).
const (
	// ProfileXPSP3Office2003 is Windows XP SP3 with Office 2003: the
	// client that fails on ScenarioSP1Office2003.
	ProfileXPSP3Office2003 = "xp-sp3-office2003"
	// ProfileXPSP3 is Windows XP SP3 without Office: it never reaches 8862.
	ProfileXPSP3 = "xp-sp3"
	// ProfileVistaSP1Office2003 is Windows Vista SP1 with Office 2003.
	ProfileVistaSP1Office2003 = "vista-sp1-office2003"
	// ProfileXPSP2Office2003 is Windows XP SP2 with Office 2003.
	ProfileXPSP2Office2003 = "xp-sp2-office2003"
)

// Office2003SP1UpdateID is the UpdateID of "Office 2003 Service Pack 1",
// revision 8862: the update with two deployment rows, which Decline,
// Approve, Decline makes consistent.
const Office2003SP1UpdateID = "cc750251-d324-4187-8241-603a8445ad33"
