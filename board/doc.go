// Package board is the model of a Tablée board: the seven text sections of
// the fiche-projet, its meta choices, the ecosystem map of actors and
// links, and the comments and pistes d'amélioration written on it during
// the restitution. A workshop also has one control board (NewControl): no
// fiche, but the phase timer, the focus ("everyone look here") and the
// assigns of participants to groups, written by the facilitator alone.
// It is pure (no I/O, no clock, no locks): the hub serialises access and
// does the storing and broadcasting.
//
// A submit goes through three steps:
//
//   - DecodeChanges checks every change's shape and props before the board
//     is looked at, as the protocol requires;
//   - TransformChanges moves it past each version committed after its base,
//     one version at a time;
//   - Board.ApplyEntry (or ApplyAs, Apply) applies it all or nothing, after
//     the role checks: a participant writes nothing on the control board
//     nor on a closed board, only comments on a locked one, and sets or
//     deletes only its own comments.
//
// Snapshot gives the protocol's view of a board; MarshalState and
// UnmarshalState store and reload the whole of it, tombstones and clients'
// seqs included. Text operations themselves live in text.go.
package board
