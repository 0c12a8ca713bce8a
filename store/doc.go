// Package store keeps the world's mutable state in PostgreSQL, so several
// wsusmock replicas serve one world, as WSUS 3.0 front-ends shared one
// SUSDB: the selected scenario, the installed hotfixes, the approvals as
// rows of tbDeployment, where advisory 954960's defect is two rows for one
// revision in one target group, and the fault-injection rules (as JSON the
// store does not read; each replica counts their hits itself).
//
// Each replica keeps serving an immutable scenarios.World snapshot: the
// store rebuilds it from the tables (the scenario's base world with the
// shared rows put in) whenever another replica announces a change with
// NOTIFY, and hands it to Apply, which swaps it in. The hot path never
// touches the database.
//
// A change (Update, Select, Reset, AddFault, RemoveFault, ClearFaults) is
// one transaction that first locks the
// single tbConfiguration row: writers on any replica are serialised, and
// each applies its change to the state the previous one committed, so no
// change is lost. A replica that loses the database keeps serving its last
// snapshot, logs the loss once, reports it in Health, and catches up when
// the database is back.
//
// Without a store (the default) a server keeps its world in memory and
// none of this runs. The package knows nothing of HTTP.
package store
