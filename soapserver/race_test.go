//go:build race

package soapserver

// raceEnabled is set in a -race build, whose sync.Pool drops items at
// random: allocation counts mean nothing there.
const raceEnabled = true
