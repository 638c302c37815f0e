package cloudtest

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Envelope is a CloudEvents structured envelope as aura-edge publishes it.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject"`
	Time            string          `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Sequence        uint64          `json:"sequence"`
	Data            json.RawMessage `json:"data"`
	DataBase64      string          `json:"data_base64"`
}

// Message is one received MQTT message.
type Message struct {
	Topic    string
	Payload  []byte
	Retained bool
	At       time.Time
}

// SubscriberOptions configure a Subscriber.
type SubscriberOptions struct {
	// ClientID; empty means a unique one.
	ClientID string
	// Persistent uses a persistent session (CleanSession=false), so a
	// broker with persistence keeps queuing for it while it is away.
	Persistent bool
	// TLS for ssl:// brokers.
	TLS *tls.Config
	// Username and Password, sent in CONNECT when Username is set.
	Username, Password string
}

// Subscriber plays the cloud: it subscribes to a topic filter at QoS 1,
// collects every message in arrival order per topic (duplicates
// included), reconnects by itself, and can publish commands.
type Subscriber struct {
	pc     paho.Client
	filter string

	mu       sync.Mutex
	msgs     map[string][]Message
	notify   chan struct{}
	connects []time.Time // when each (re)connection's CONNACK came
}

var subSeq struct {
	sync.Mutex
	n int
}

// Subscribe connects to broker, subscribes to filter and returns once the
// broker confirmed the subscription. It disconnects at the end of the test.
func Subscribe(tb testing.TB, broker, filter string, opts SubscriberOptions) *Subscriber {
	tb.Helper()
	s, err := NewSubscriber(broker, filter, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// NewSubscriber is Subscribe without a test.
func NewSubscriber(broker, filter string, opts SubscriberOptions) (*Subscriber, error) {
	if opts.ClientID == "" {
		subSeq.Lock()
		subSeq.n++
		opts.ClientID = fmt.Sprintf("cloudtest-sub-%d-%d", time.Now().UnixNano(), subSeq.n)
		subSeq.Unlock()
	}
	s := &Subscriber{filter: filter, msgs: map[string][]Message{}, notify: make(chan struct{})}
	subscribed := make(chan error, 1)
	o := paho.NewClientOptions().AddBroker(broker).SetClientID(opts.ClientID).
		SetCleanSession(!opts.Persistent).SetAutoReconnect(true).SetMaxReconnectInterval(200 * time.Millisecond).
		SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond).
		SetOrderMatters(true).SetKeepAlive(5 * time.Second).SetProtocolVersion(4)
	if opts.TLS != nil {
		o.SetTLSConfig(opts.TLS)
	}
	if opts.Username != "" {
		o.SetUsername(opts.Username)
		o.SetPassword(opts.Password)
	}
	o.SetDefaultPublishHandler(s.receive)
	o.SetOnConnectHandler(func(c paho.Client) {
		s.mu.Lock()
		s.connects = append(s.connects, time.Now())
		s.mu.Unlock()
		tok := c.Subscribe(filter, 1, s.receive)
		var err error
		select {
		case <-tok.Done():
			err = tok.Error()
		case <-time.After(10 * time.Second):
			err = fmt.Errorf("subscribe %s: no SUBACK", filter)
		}
		select {
		case subscribed <- err:
		default:
		}
	})
	s.pc = paho.NewClient(o)
	s.pc.Connect()
	select {
	case err := <-subscribed:
		if err != nil {
			s.pc.Disconnect(0)
			return nil, err
		}
	case <-time.After(15 * time.Second):
		s.pc.Disconnect(0)
		return nil, fmt.Errorf("subscriber could not connect to %s", broker)
	}
	return s, nil
}

func (s *Subscriber) receive(_ paho.Client, m paho.Message) {
	s.mu.Lock()
	s.msgs[m.Topic()] = append(s.msgs[m.Topic()], Message{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), Retained: m.Retained(), At: time.Now()})
	close(s.notify)
	s.notify = make(chan struct{})
	s.mu.Unlock()
}

// Connects returns when each connection (the first and every reconnection)
// was made.
func (s *Subscriber) Connects() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.connects...)
}

// Close disconnects.
func (s *Subscriber) Close() { s.pc.Disconnect(100) }

// Connected reports whether the subscriber is connected.
func (s *Subscriber) Connected() bool { return s.pc.IsConnectionOpen() }

// Messages returns the messages received on topic so far.
func (s *Subscriber) Messages(topic string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs[topic]...)
}

// Envelopes decodes the messages received on topic (undecodable ones are
// returned with only Type set to "!invalid").
func (s *Subscriber) Envelopes(topic string) []Envelope {
	msgs := s.Messages(topic)
	out := make([]Envelope, 0, len(msgs))
	for _, m := range msgs {
		var e Envelope
		if json.Unmarshal(m.Payload, &e) != nil {
			e = Envelope{Type: "!invalid"}
		}
		out = append(out, e)
	}
	return out
}

// UniqueIDs returns the envelope ids on topic in order of first arrival,
// and how many duplicates arrived.
func (s *Subscriber) UniqueIDs(topic string) (ids []string, dups int) {
	seen := map[string]bool{}
	for _, e := range s.Envelopes(topic) {
		if seen[e.ID] {
			dups++
			continue
		}
		seen[e.ID] = true
		ids = append(ids, e.ID)
	}
	return ids, dups
}

// Wait calls cond each time a message arrives until it returns true; it
// fails the test after timeout.
func (s *Subscriber) Wait(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	if err := s.WaitErr(timeout, cond); err != nil {
		tb.Fatalf("waiting for %s: %v", what, err)
	}
}

// WaitErr is Wait without a test.
func (s *Subscriber) WaitErr(timeout time.Duration, cond func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		ch := s.notify
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-deadline.C:
			return fmt.Errorf("timed out after %s", timeout)
		}
	}
}

// Publish sends payload to topic at QoS 1 and waits for the PUBACK.
func (s *Subscriber) Publish(topic string, payload []byte, retained bool) error {
	tok := s.pc.Publish(topic, 1, retained, payload)
	if !tok.WaitTimeout(10 * time.Second) {
		return fmt.Errorf("publish %s: no PUBACK in 10s", topic)
	}
	return tok.Error()
}
