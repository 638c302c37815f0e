package transport_test

import (
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport"
)

func TestSerialPorts(t *testing.T) {
	ports, err := transport.SerialPorts()
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ports {
		if p.Name == "" {
			t.Errorf("port %d has no name: %+v", i, p)
		}
		if i > 0 && ports[i-1].Name >= p.Name {
			t.Errorf("ports not sorted: %q before %q", ports[i-1].Name, p.Name)
		}
		if _, err := transport.ParseURL(p.URL()); err != nil {
			t.Errorf("port %s: URL %s: %v", p.Name, p.URL(), err)
		}
		t.Logf("%+v", p)
	}
}
