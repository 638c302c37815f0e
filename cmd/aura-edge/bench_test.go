package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkIdleRSS reports the resident memory of an idle daemon: the real
// binary, started on an empty data dir with no broker, measured 3 s after
// it is ready.
//
//	go test -run '^$' -bench IdleRSS -benchtime 1x ./cmd/aura-edge
func BenchmarkIdleRSS(b *testing.B) {
	for i := 0; i < b.N; i++ {
		dataDir := b.TempDir()
		addr := freeAddrTB(b)
		cfg := writeConfigTB(b, fmt.Sprintf("store_id: s1\ndata_dir: %s\napi:\n  listen: %s\nlog:\n  level: warn\n", dataDir, addr))
		cmd, _ := startDaemon(b, cfg, addr)
		time.Sleep(3 * time.Second)
		rss, err := vmRSS(cmd.Process.Pid)
		if err != nil {
			b.Skip("no /proc:", err)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		b.ReportMetric(float64(rss)/1024, "rss-MiB")
	}
}

// vmRSS reads VmRSS (KiB) from /proc/<pid>/status.
func vmRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS")
}
