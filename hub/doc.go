// Package hub holds the live side of Tablée: websocket connections, one room
// per active board that serialises its commits, the Broker that makes a commit
// durable and fans it out, and the local storage of the embedded default.
//
// The shape follows gorilla/websocket's examples/chat: each connection has a
// read pump and a write pump, and only the write pump writes messages to it
// (the read pump answers pings and closes); rooms never block on a
// connection (a full send queue closes that connection, which then
// reconnects and catches up with `since`). gorilla reads; the frames sent
// are written by the hub's frameWriter, which puts everything queued for a
// connection in one socket write, and shares one encoding of a broadcast
// among its followers.
//
// The path of a submit:
//
//	read pump ─► room (transform since base, dedupe, validate, apply, next v)
//	          ─► committer (Broker.Commit: durable, in order, batched)
//	          ─► room (deliver ack and ops up to the durable version)
//	          ─► write pumps
//
// Nothing is sent about version v before v is durable, so a client never sees
// a version that a crash could take back.
package hub
