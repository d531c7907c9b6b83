// Package durability holds crash tests of the real monitor binary: it is killed with SIGKILL
// under load and restarted on the same database, and no acknowledged event or alert may be lost
// or duplicated.
package durability
