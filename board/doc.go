// Package board is the model of a Tablée board: the seven text sections of
// the fiche-projet, its meta choices, and the ecosystem map of actors and
// links. It is pure (no I/O, no clock, no locks): the hub serialises access
// and does the storing and broadcasting.
//
// A submit goes through three steps:
//
//   - DecodeChanges checks every change's shape and props before the board
//     is looked at, as the protocol requires;
//   - TransformChanges moves it past each version committed after its base,
//     one version at a time;
//   - Board.Apply (or ApplyEntry) applies it all or nothing.
//
// Snapshot gives the protocol's view of a board; MarshalState and
// UnmarshalState store and reload the whole of it, tombstones and clients'
// seqs included. Text operations themselves live in text.go.
package board
