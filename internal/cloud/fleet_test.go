package cloud

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/testkit"
)

// passwdFile writes a mosquitto password file for users (password =
// "pw-"+user) with mosquitto_passwd.
func passwdFile(t *testing.T, dir string, users ...string) string {
	t.Helper()
	bin := testkit.Need(t, "mosquitto_passwd", "apt-get install mosquitto")
	p := filepath.Join(dir, "passwd")
	for i, u := range users {
		args := []string{"-b", p, u, "pw-" + u}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v %s", err, out)
		}
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// intruder is a raw MQTT client logged in as one store that tries what
// the ACL must forbid.
type intruder struct {
	pc   paho.Client
	mu   sync.Mutex
	seen []string
}

func newIntruder(t *testing.T, url, user string) *intruder {
	t.Helper()
	in := &intruder{}
	o := paho.NewClientOptions().AddBroker(url).SetClientID("intruder-" + user).SetUsername(user).SetPassword("pw-" + user).
		SetAutoReconnect(false).SetProtocolVersion(4)
	in.pc = paho.NewClient(o)
	if tok := in.pc.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("intruder connect: %v", tok.Error())
	}
	t.Cleanup(func() { in.pc.Disconnect(100) })
	return in
}

func (in *intruder) subscribe(t *testing.T, filter string) {
	t.Helper()
	tok := in.pc.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
		in.mu.Lock()
		in.seen = append(in.seen, m.Topic())
		in.mu.Unlock()
	})
	if !tok.WaitTimeout(5 * time.Second) {
		t.Fatalf("subscribe %s: no SUBACK", filter)
	}
}

func (in *intruder) received() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.seen...)
}

// TestPerStoreACL runs two stores' real links against mosquitto with the
// shipped per-store ACL (packaging/mosquitto/aura-acl.conf): both deliver
// and take commands, and a client logged in as store s1 can neither read
// s2's events or commands nor publish into s2's topics.
func TestPerStoreACL(t *testing.T) {
	dir := t.TempDir()
	pw := passwdFile(t, dir, "s1", "s2", "aura-cloud")
	acl, err := filepath.Abs("../../packaging/mosquitto/aura-acl.conf")
	if err != nil {
		t.Fatal(err)
	}
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{
		Extra: fmt.Sprintf("allow_anonymous false\npassword_file %s\nacl_file %s\n", pw, acl)})
	cloud := cloudtest.Subscribe(t, mq.URL(), "aura/v1/stores/#", cloudtest.SubscriberOptions{Username: "aura-cloud", Password: "pw-aura-cloud"})

	stores := map[string]*env{}
	for _, id := range []string{"s1", "s2"} {
		pwf := filepath.Join(dir, id+".pw")
		if err := os.WriteFile(pwf, []byte("pw-"+id+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(mq.URL())
		cfg.Username, cfg.PasswordFile = id, pwf
		e := newEnv(t, cfg, func(d *Deps) { d.StoreID = id })
		stores[id] = e
	}
	// s1's credentials, used against s2.
	spy := newIntruder(t, mq.URL(), "s1")
	spy.subscribe(t, "aura/v1/stores/s2/#")
	spy.subscribe(t, "aura/v1/stores/#")
	forged := `{"specversion":"1.0","id":"forged-1","source":"aura-edge://s2","type":"com.auraconnect.edge.order","data":{}}`
	spy.pc.Publish("aura/v1/stores/s2/events/orders", 1, false, forged).WaitTimeout(5 * time.Second)
	spy.pc.Publish("aura/v1/stores/s2/cmd/ping", 1, false, marshal(t, newCommand("ping", "forged-ping", "", nil))).WaitTimeout(5 * time.Second)

	want := map[string][]string{}
	for id, e := range stores {
		want[id] = e.appendN(outbox.Orders, 10, id)
		e.start()
	}
	for id := range stores {
		topic := "aura/v1/stores/" + id + "/events/orders"
		cloud.Wait(t, 10*time.Second, id+"'s orders", func() bool { ids, _ := cloud.UniqueIDs(topic); return len(ids) >= len(want[id]) })
		checkFIFO(t, id, want[id], cloud.Envelopes(topic))
	}
	// The cloud's own command to s2 works.
	if err := cloud.Publish("aura/v1/stores/s2/cmd/ping", marshal(t, newCommand("ping", "cloud-ping", "", nil)), false); err != nil {
		t.Fatal(err)
	}
	cloud.Wait(t, 10*time.Second, "s2's answer to the cloud's ping", func() bool {
		for _, e := range cloud.Envelopes("aura/v1/stores/s2/cmd-results") {
			if e.Subject == "cloud-ping" {
				return true
			}
		}
		return false
	})
	for _, e := range cloud.Envelopes("aura/v1/stores/s2/cmd-results") {
		if e.Subject == "forged-ping" {
			t.Error("s2 ran a command that s1's credentials published")
		}
	}
	for _, e := range cloud.Envelopes("aura/v1/stores/s2/events/orders") {
		if e.ID == "forged-1" {
			t.Error("an event published with s1's credentials reached the cloud as s2's")
		}
	}
	for _, topic := range spy.received() {
		if len(topic) >= len("aura/v1/stores/s2") && topic[:len("aura/v1/stores/s2")] == "aura/v1/stores/s2" {
			t.Errorf("s1's credentials read s2's topic %s", topic)
		}
	}
	if n := len(spy.received()); n > 0 {
		t.Logf("s1's credentials received %d messages of its own", n)
	}
}
