package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/internal/columns"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/store"
	"github.com/liaoning-hrss/flexemp/transform"
)

// serveSuite measures the server under concurrent uploads: a `flexemp
// serve` child process on loopback, and a load generator here with one
// worker per city, each uploading its city's 10,000-row extracts for every
// month of 2024 in turn. It reports uploads per second and latency
// percentiles; every upload must be accepted.
func serveSuite(ctx context.Context, self, dir string, rows, workers int, stdout, stderr io.Writer) error {
	base := filepath.Join(dir, "serve")
	files := filepath.Join(base, "files")
	if err := os.MkdirAll(files, 0o755); err != nil {
		return err
	}
	type job struct {
		city  flexemp.City
		month flexemp.Month
		path  string
	}
	var jobs []job
	for _, c := range flexemp.Cities {
		for m := 1; m <= 12; m++ {
			month := flexemp.Month{Year: 2024, Month: time.Month(m)}
			path := filepath.Join(files, fmt.Sprintf("%s-%s-%d.csv", c.Code, month, rows))
			if _, err := os.Stat(path); err != nil {
				if err := gen.Registrations(path, rows, uint64(m), c, month); err != nil {
					return err
				}
			}
			jobs = append(jobs, job{c, month, path})
		}
	}
	db := filepath.Join(base, "serve.db")
	for _, p := range []string{db, db + ".wal", db + ".key"} {
		os.Remove(p)
	}
	addr, tokens, stop, err := serveCities(ctx, self, db)
	if err != nil {
		return err
	}
	defer stop()

	// One worker per city by default; jobs interleaved so that cities upload
	// at once.
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].month.Month < jobs[j].month.Month })
	queue := make(chan job)
	var mu sync.Mutex
	var latencies []time.Duration
	var failures []string
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				body, ctype, err := multipartFile(j.path, j.month)
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					continue
				}
				req, _ := http.NewRequestWithContext(ctx, "POST", addr+"/api/v1/uploads", body)
				req.Header.Set("Content-Type", ctype)
				req.Header.Set("Authorization", "Bearer "+tokens[j.city.Code])
				t0 := time.Now()
				resp, err := client.Do(req)
				took := time.Since(t0)
				mu.Lock()
				switch {
				case err != nil:
					failures = append(failures, err.Error())
				case resp.StatusCode != 200:
					b, _ := io.ReadAll(resp.Body)
					failures = append(failures, fmt.Sprintf("%s %s: %d %s", j.city.Name, j.month, resp.StatusCode, b))
				default:
					latencies = append(latencies, took)
				}
				mu.Unlock()
				if resp != nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	wg.Wait()
	wall := time.Since(start)
	if len(failures) > 0 {
		return fmt.Errorf("%d uploads failed, first: %s", len(failures), failures[0])
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p int) time.Duration { return latencies[(len(latencies)-1)*p/100] }
	st, _ := os.Stat(jobs[0].path)
	tw := columns.NewWriter(stdout)
	fmt.Fprintln(tw, "uploads\tworkers\trows each\tKiB each\twall s\tuploads/s\trows/s\tp50 ms\tp95 ms\tmax ms")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.0f\t%d\t%d\t%d\n", len(latencies), workers, rows, st.Size()>>10, wall.Seconds(),
		float64(len(latencies))/wall.Seconds(), float64(len(latencies)*rows)/wall.Seconds(),
		pct(50).Milliseconds(), pct(95).Milliseconds(), latencies[len(latencies)-1].Milliseconds())
	return tw.Flush()
}

// startServe runs `flexemp serve` over db on loopback in a child process
// and gives its address; stop ends it.
func startServe(ctx context.Context, self, db string) (addr string, stop func(), err error) {
	cmd := exec.CommandContext(ctx, self, "serve", "--db", db, "--listen", "127.0.0.1:0")
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("serve did not start: %w", err)
	}
	if addr = regexp.MustCompile(`https?://\S+`).FindString(line); addr == "" {
		stop()
		return "", nil, fmt.Errorf("serve said %q", line)
	}
	return addr, stop, nil
}

// serveCities gives every city a token (cityTokens), then serves db
// (startServe).
func serveCities(ctx context.Context, self, db string) (addr string, tokens map[string]string, stop func(), err error) {
	if tokens, err = cityTokens(ctx, db); err != nil {
		return "", nil, nil, err
	}
	addr, stop, err = startServe(ctx, self, db)
	return addr, tokens, stop, err
}

// cityTokens adds an API token for every city to the database at db.
func cityTokens(ctx context.Context, db string) (map[string]string, error) {
	sqlDB, err := transform.Open(ctx, db)
	if err != nil {
		return nil, err
	}
	tk := store.New(sqlDB, nil, metrics.AssessOptions{})
	defer tk.Close()
	tokens := map[string]string{}
	for _, c := range flexemp.Cities {
		if tokens[c.Code], err = tk.AddToken(ctx, c.Code, "", time.Now()); err != nil {
			return nil, err
		}
	}
	return tokens, nil
}

// multipartFile is an upload form with the file and its month.
func multipartFile(path string, month flexemp.Month) (io.Reader, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("kind", "registrations")
	mw.WriteField("month", month.String())
	fw, _ := mw.CreateFormFile("file", filepath.Base(path))
	fw.Write(data)
	mw.Close()
	return &b, mw.FormDataContentType(), nil
}
