// Command benchcmp runs the performance benchmarks of aura-edge for
// several rounds, alternating between them, and prints every reported
// metric with its min, median and max, beside the machine's load average.
// The limit benchmarks measure their limit in the same run and report
// the ratio themselves (raw bbolt Batch for capture, bare paho for the
// drain, an empty store for start-up), so a ratio's spread is what a
// shared machine does to the comparison, not to one side of it.
//
//	go run ./internal/benchcmp -rounds 3            # everything (make bench)
//	go run ./internal/benchcmp -rounds 5 -only Capture,Drain
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// target is one go test invocation.
type target struct {
	pkg, bench, benchtime, timeout string
	benchmem                       bool
}

var targets = []target{
	{pkg: "./internal/localapi", bench: "^BenchmarkCapture(StdClient)?$", benchtime: "20000x"},
	{pkg: "./internal/ingest", bench: "^BenchmarkCapture(AutoPrint)?VsBatch$", benchtime: "20000x"},
	{pkg: "./internal/ingest", bench: "^BenchmarkStoreSizeAfterDrain$", benchtime: "20000x"},
	{pkg: "./internal/cloud", bench: "^BenchmarkDrain", benchtime: "2x", timeout: "20m"},
	{pkg: "./internal/spool", bench: "^Benchmark(Order|Hook)ToPrinter(Queued)?$", benchtime: "500x"},
	{pkg: "./internal/daemon", bench: "^BenchmarkStartReady1M$", benchtime: "3x", timeout: "20m"},
	{pkg: "./cmd/aura-edge", bench: "^BenchmarkIdleRSS(1M)?$", benchtime: "1x"},
	{pkg: "./internal/outbox", bench: "Append|PeekAckDrain", benchmem: true},
	{pkg: "./internal/receipt", bench: "Receipt40Lines$", benchmem: true},
	{pkg: "./drivers/escpos", bench: "Receipt$", benchmem: true},
	{pkg: "./internal/terminal", bench: "Passthrough", benchtime: "500x"},
	{pkg: "./internal/terminal", bench: "CaptureRate", benchtime: "2000x"},
	{pkg: "./internal/terminal/parse", bench: "Parse$|Cutter$", benchtime: "2000x", benchmem: true},
}

func main() {
	rounds := flag.Int("rounds", 3, "rounds of every benchmark")
	only := flag.String("only", "", "comma-separated: run only the targets whose package or pattern contains one of these")
	flag.Parse()
	metrics := map[string][]float64{} // "Benchmark unit" -> values
	var order []string
	var loads []float64
	for r := 1; r <= *rounds; r++ {
		for _, t := range targets {
			if !selected(t, *only) {
				continue
			}
			load := loadavg()
			loads = append(loads, load)
			args := []string{"test", "-run", "^$", "-bench", t.bench}
			if t.benchtime != "" {
				args = append(args, "-benchtime", t.benchtime)
			}
			if t.timeout != "" {
				args = append(args, "-timeout", t.timeout)
			}
			if t.benchmem {
				args = append(args, "-benchmem")
			}
			args = append(args, t.pkg)
			fmt.Fprintf(os.Stderr, "round %d/%d, load %.2f: go %s\n", r, *rounds, load, strings.Join(args, " "))
			out, err := exec.Command("go", args...).CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s\nbenchcmp: %s %s: %v\n", out, t.pkg, t.bench, err)
				os.Exit(1)
			}
			for _, m := range parse(out) {
				if _, ok := metrics[m.key]; !ok {
					order = append(order, m.key)
				}
				metrics[m.key] = append(metrics[m.key], m.value)
			}
		}
	}
	fmt.Printf("%-44s %-16s %12s %12s %12s\n", "benchmark", "metric", "min", "median", "max")
	for _, k := range order {
		name, unit, _ := strings.Cut(k, " ")
		lo, med, hi := spread(metrics[k])
		fmt.Printf("%-44s %-16s %12s %12s %12s\n", name, unit, num(lo), num(med), num(hi))
	}
	lo, med, hi := spread(loads)
	fmt.Printf("%-44s %-16s %12.2f %12.2f %12.2f\n", "machine", "load-1min", lo, med, hi)
}

func selected(t target, only string) bool {
	if only == "" {
		return true
	}
	for w := range strings.SplitSeq(only, ",") {
		if w != "" && strings.Contains(t.pkg+" "+t.bench, w) {
			return true
		}
	}
	return false
}

type metric struct {
	key   string
	value float64
}

// parse reads "BenchmarkX-2  N  v unit  v unit ..." lines.
func parse(out []byte) []metric {
	var ms []metric
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			ms = append(ms, metric{key: name + " " + f[i+1], value: v})
		}
	}
	return ms
}

func spread(vs []float64) (lo, med, hi float64) {
	if len(vs) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], med, s[n-1]
}

func num(v float64) string {
	switch {
	case v >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
}

func loadavg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
