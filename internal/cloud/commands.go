package cloud

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/auraconnect/aura-edge/internal/cloud/command"
)

// The command pipeline (decode, verify, claim, run, record, answer) lives
// in package command; the link only receives deliveries, keeps them in the
// inbox until they have their result, and feeds its workers. These names
// are the command package's, kept here so hosts need only import cloud.
type (
	// Command is a verified command handed to a Handler.
	Command = command.Command
	// Handler runs one command; see command.Handler.
	Handler = command.Handler
	// CommandError is why a command was not executed, or what a handler
	// wants its error result to say.
	CommandError = command.Error
	// CommandEnvelope is a command as the cloud sends it.
	CommandEnvelope = command.Envelope
	// Result is the data of a cmd-results event.
	Result = command.Result
	// AuditEvent is the outcome of one command delivery.
	AuditEvent = command.AuditEvent
	// AuditFunc receives one event per command delivery.
	AuditFunc = command.AuditFunc
)

// ResultType is the CloudEvents type of command results.
const ResultType = command.ResultType

// MaxCommandSize is the largest command payload accepted (1 MiB).
const MaxCommandSize = command.MaxSize

// MaxCommandLifetime is how far ahead a command's expires may be.
const MaxCommandLifetime = command.MaxLifetime

// Result statuses and codes (see package command).
const (
	StatusOK         = command.StatusOK
	StatusError      = command.StatusError
	StatusRejected   = command.StatusRejected
	CodeOK           = command.CodeOK
	CodeMalformed    = command.CodeMalformed
	CodeTooLarge     = command.CodeTooLarge
	CodeUnknownType  = command.CodeUnknownType
	CodeUnsigned     = command.CodeUnsigned
	CodeBadSignature = command.CodeBadSignature
	CodeUnknownKey   = command.CodeUnknownKey
	CodeExpired      = command.CodeExpired
	CodeReplayed     = command.CodeReplayed
	CodeHandler      = command.CodeHandler
	CodeInterrupted  = command.CodeInterrupted
	CodeTimeout      = command.CodeTimeout
)

// DecodeCommand parses a command payload; see command.Decode.
func DecodeCommand(payload []byte) (*CommandEnvelope, error) { return command.Decode(payload) }

// ParsePublicKey decodes a configured command key; see command.ParsePublicKey.
var ParsePublicKey = command.ParsePublicKey

// SignedBytes returns the bytes a command signature covers; see
// command.SignedBytes.
var SignedBytes = command.SignedBytes

// onCommand is paho's callback for cmd/#. With OrderMatters(false) paho
// calls it on its own goroutine, so waiting for room in the bounded worker
// queue holds back only this message's PUBACK, never paho's router.
func (c *Client) onCommand(ctx context.Context) paho.MessageHandler {
	return func(_ paho.Client, m paho.Message) {
		// Stored before this callback returns, which is before paho sends
		// the PUBACK: a crash from here on replays it at the next start.
		d := c.cmds.Receive(m.Topic(), bytes.Clone(m.Payload()))
		select {
		case c.cmdQueue <- d:
		case <-ctx.Done():
		}
	}
}

func (c *Client) commandWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-c.cmdQueue:
			c.commands.Add(1)
			c.cmds.Process(ctx, strings.TrimPrefix(d.Topic, c.Topic(topicCmd)+"/"), d.Payload)
			if ctx.Err() == nil {
				c.cmds.Done(d)
			}
		}
	}
}

// inboxReplay queues deliveries a previous run acknowledged but did not
// finish (the pipeline's de-duplication makes this safe).
func (c *Client) inboxReplay(ctx context.Context) {
	pending, err := c.cmds.Pending()
	if err != nil {
		c.log.Error("read command inbox", "err", err)
		return
	}
	if len(pending) > 0 {
		c.log.Info("replaying commands received before a restart", "count", len(pending))
	}
	for _, d := range pending {
		select {
		case c.cmdQueue <- d:
		case <-ctx.Done():
			return
		}
	}
}

// handlePing answers the built-in "ping".
func (c *Client) handlePing(_ context.Context, _ Command) (any, error) {
	return map[string]any{"pong": true, "time": c.now().UTC().Format(time.RFC3339Nano)}, nil
}

// handleStatusRequest republishes the retained status and returns it.
func (c *Client) handleStatusRequest(ctx context.Context, _ Command) (any, error) {
	c.mu.Lock()
	cn := c.cur
	c.mu.Unlock()
	if cn == nil {
		return c.Status(false), nil
	}
	m, err := c.publishStatusMap(ctx, cn)
	if err != nil {
		return m, fmt.Errorf("republish status: %w", err)
	}
	return m, nil
}
