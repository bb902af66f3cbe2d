// Package profile reads and writes allocation profiling logs in the line
// grammar of Ledger's secure-element SDK, analyzes them for leaks and bad
// frees, and exports live blocks as pprof heap profiles.
package profile
