//go:build !race

package soapserver

// raceEnabled is set in a -race build (race_test.go).
const raceEnabled = false
