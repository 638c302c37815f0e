package escpos

import (
	"bytes"
	"compress/gzip"
	"os"
	"testing"
)

// TestCapabilitiesGzip checks that the embedded profiles/capabilities.json.gz
// unpacks to profiles/capabilities.json, the file as escpos-printer-db
// publishes it. With -update it rewrites the .gz from the .json.
func TestCapabilitiesGzip(t *testing.T) {
	want, err := os.ReadFile("profiles/capabilities.json")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(want)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("profiles/capabilities.json.gz", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := capabilitiesJSON()
	if err != nil {
		t.Fatalf("unpack the embedded capabilities.json.gz: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("profiles/capabilities.json.gz (%d bytes unpacked) differs from profiles/capabilities.json (%d bytes); run go test ./drivers/escpos -run TestCapabilitiesGzip -update",
			len(got), len(want))
	}
}
