package cloud

import (
	"context"
	"fmt"
	"net"
	neturl "net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

// BenchmarkDrain drains 100,000 buffered 1 KiB events from the bbolt
// outbox to a local mosquitto, and publishes the same number of messages
// of the same size (the envelopes) with a bare paho QoS 1 publisher using
// the same in-flight window, and reports both rates and their ratio (and
// the ratio to the same publisher on the link's connection type). The
// link's clock runs from its start (connect included) until every row is
// deleted (the last grouped Ack committed); the bare publisher's from its
// first publish, once connected, to its last PUBACK. Beside the rates,
// figures the load does not move: allocations (count, bytes) and read and
// write syscalls per event and per bare message, and rows per Ack. The two
// runs alternate which goes first, so use -benchtime 2x or more on a busy
// machine; pprof labels (phase=link, phase=bare) split a -cpuprofile:
//
//	go test -run '^$' -bench Drain -benchtime 4x ./internal/cloud
//	go tool pprof -tagfocus phase=link -top cloud.test cpu.out
func BenchmarkDrain(b *testing.B) {
	const events = 100_000
	mq := cloudtest.StartMosquitto(b, cloudtest.MosquittoOptions{})
	data := []byte(`{"pad":"` + strings.Repeat("x", 1024-10) + `"}`) // 1 KiB
	window := DefaultInFlight
	var ours, bare, sameIO, perAck float64
	var size int
	var link, base, baseIO cost
	// bareRuns runs the bare publisher as shipped (the target's limit), then
	// the same through the connection the link hands paho (pahoConn): the
	// second ratio is the link's cost for reading, enveloping and deleting
	// rows, apart from the connection's fewer syscalls.
	bareRuns := func(msg []byte) {
		pprof.Do(context.Background(), pprof.Labels("phase", "bare"), func(context.Context) {
			bare += barePaho(b, mq.URL(), testPrefix+"/events/orders", msg, events, window, false, &base)
		})
		pprof.Do(context.Background(), pprof.Labels("phase", "bare_same_io"), func(context.Context) {
			sameIO += barePaho(b, mq.URL(), testPrefix+"/events/orders", msg, events, window, true, &baseIO)
		})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := testConfig(mq.URL())
		cfg.InFlight = window
		cq := &countingQueue{}
		e := newEnv(b, cfg, func(d *Deps) { cq.Queue = d.Queue; d.Queue = cq })
		for n := 0; n < events; {
			batch := make([]outbox.Entry, 0, 1000)
			for ; n < events && len(batch) < 1000; n++ {
				batch = append(batch, outbox.Entry{Stream: outbox.Orders, Type: "com.auraconnect.order.v1", Subject: fmt.Sprintf("order-%d", n%500), Data: data})
			}
			if _, err := e.ob.Append(context.Background(), batch...); err != nil {
				b.Fatal(err)
			}
		}
		rows, _ := e.ob.Peek(outbox.Orders, 0, 1)
		msg := appendEvent(nil, e.c.source, &rows[0])
		size = len(msg)
		if i%2 == 1 {
			bareRuns(msg)
		}

		b.StartTimer()
		m := measure()
		start := time.Now()
		// The labels let a -cpuprofile tell the link's goroutines (and
		// the paho goroutines it starts) from the bare publisher's and the
		// fixture's: go tool pprof -tagfocus phase=link.
		pprof.Do(context.Background(), pprof.Labels("phase", "link"), func(context.Context) { e.start() })
		for e.c.State().Delivered < events {
			time.Sleep(2 * time.Millisecond)
		}
		rate := events / time.Since(start).Seconds()
		link.add(m)
		ours += rate
		b.Logf("round %d: link %.0f events/s", i, rate)
		perAck += float64(events) / float64(cq.acks.Load())
		b.StopTimer()
		e.stop()
		if d := e.totalDepth(); d != 0 {
			b.Fatalf("outbox depth %d after the drain", d)
		}
		if i%2 == 0 {
			bareRuns(msg)
		}
	}
	ours /= float64(b.N)
	bare /= float64(b.N)
	sameIO /= float64(b.N)
	b.ReportMetric(ours, "events/s")
	b.ReportMetric(bare, "bare_msgs/s")
	b.ReportMetric(ours/bare, "ratio")
	b.ReportMetric(sameIO, "bare_same_io_msgs/s")
	b.ReportMetric(ours/sameIO, "ratio_same_io")
	b.ReportMetric(float64(size), "msg_bytes")
	b.ReportMetric(perAck/float64(b.N), "rows/ack")
	n := float64(b.N) * events
	b.ReportMetric(float64(link.allocs)/n, "allocs/event")
	b.ReportMetric(float64(base.allocs)/n, "bare_allocs/msg")
	b.ReportMetric(float64(link.bytes)/n, "B/event")
	b.ReportMetric(float64(base.bytes)/n, "bare_B/msg")
	if link.io && base.io {
		b.ReportMetric(float64(link.reads)/n, "reads/event")
		b.ReportMetric(float64(link.writes)/n, "writes/event")
		b.ReportMetric(float64(base.reads)/n, "bare_reads/msg")
		b.ReportMetric(float64(base.writes)/n, "bare_writes/msg")
		b.ReportMetric(float64(baseIO.reads)/n, "bare_same_io_reads/msg")
		b.ReportMetric(float64(baseIO.writes)/n, "bare_same_io_writes/msg")
	}
	b.ReportMetric(0, "ns/op")
}

// barePaho publishes n copies of msg at QoS 1 with at most window awaiting
// a PUBACK and returns messages per second. With sameIO its connection is
// the link's (pahoConn: buffered reads, gathered writes), else paho's own.
func barePaho(b *testing.B, url, topic string, msg []byte, n, window int, sameIO bool, c *cost) (rate float64) {
	defer func() { b.Logf("bare paho (same io %v) %.0f msgs/s", sameIO, rate) }()
	o := paho.NewClientOptions().AddBroker(url).SetClientID("bare-paho").SetCleanSession(true).
		SetAutoReconnect(false).SetOrderMatters(false).SetProtocolVersion(4)
	if sameIO {
		o.SetCustomOpenConnectionFn(func(u *neturl.URL, _ paho.ClientOptions) (net.Conn, error) {
			raw, err := net.Dial("tcp", u.Host)
			if err != nil {
				return nil, err
			}
			return newPahoConn(raw, 3*time.Second), nil
		})
	}
	pc := paho.NewClient(o)
	if tok := pc.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("bare paho connect: %v", tok.Error())
	}
	defer pc.Disconnect(100)
	slots := make(chan struct{}, window)
	toks := make(chan paho.Token, window)
	done := make(chan error, 1)
	go func() {
		var first error
		for tok := range toks {
			<-tok.Done()
			if err := tok.Error(); err != nil && first == nil {
				first = err
			}
			<-slots
		}
		done <- first
	}()
	m := measure()
	start := time.Now()
	for i := 0; i < n; i++ {
		slots <- struct{}{}
		toks <- pc.Publish(topic, 1, false, msg)
	}
	close(toks)
	if err := <-done; err != nil {
		b.Fatalf("bare paho publish: %v", err)
	}
	rate = float64(n) / time.Since(start).Seconds()
	c.add(m)
	return rate
}

// cost sums what this process spent in the measured phases: heap
// allocations (count and bytes) and read and write syscalls
// (/proc/self/io syscr and syscw: read, write, pread, pwrite and their
// vector forms on any file or socket; Linux only, io false elsewhere).
// None of them moves with the machine's load.
type cost struct {
	allocs, bytes, reads, writes uint64
	io                           bool
}

// measure starts a phase; cost.add(m) ends it.
func measure() cost {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	c := cost{allocs: ms.Mallocs, bytes: ms.TotalAlloc}
	c.reads, c.writes, c.io = procIO()
	return c
}

func (c *cost) add(start cost) {
	end := measure()
	c.allocs += end.allocs - start.allocs
	c.bytes += end.bytes - start.bytes
	c.reads += end.reads - start.reads
	c.writes += end.writes - start.writes
	c.io = end.io && start.io
}

func procIO() (reads, writes uint64, ok bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0, false
	}
	var got int
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		n, err := strconv.ParseUint(v, 10, 64)
		switch {
		case err != nil:
		case k == "syscr":
			reads, got = n, got+1
		case k == "syscw":
			writes, got = n, got+1
		}
	}
	return reads, writes, got == 2
}

// countingQueue counts the outbox Acks (the real outbox does the work).
type countingQueue struct {
	Queue
	acks atomic.Int64
}

func (q *countingQueue) Ack(stream outbox.Stream, seqs []uint64) error {
	q.acks.Add(1)
	return q.Queue.Ack(stream, seqs)
}
