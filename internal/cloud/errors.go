package cloud

import (
	"errors"

	"github.com/auraconnect/aura-edge/internal/cloud/command"
)

// ErrAlreadyRunning is returned by Run when the Client is already running
// (or ran before): a Client runs once.
var ErrAlreadyRunning = errors.New("cloud client already running")

// ErrConnectionLost is the cause recorded when the broker connection drops
// while messages are in flight. Their rows stay in the outbox and are sent
// again after the reconnect.
var ErrConnectionLost = errors.New("cloud connection lost")

// ErrStaleAck is returned when a publish token reports success after the
// connection it was published on is gone (paho completes such tokens
// without a PUBACK). The rows stay in the outbox.
var ErrStaleAck = errors.New("publish completed on a connection that is gone")

// ErrBadCommand wraps every reason a command envelope is refused by
// DecodeCommand or the verifier; the *CommandError carries the code.
var ErrBadCommand = command.ErrRefused
