package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/internal/columns"
)

// issuingSuite measures how long uploads wait while a ranking is issued
// (README: the write lock is taken only to commit). The demo province is
// served by a `flexemp serve` child; the command line publishes and then
// finalises 2025 through it, while every city uploads 1,000-row
// registrations of a month of 2026 one after another, each file new. Each
// step's time and the waits of the uploads that overlapped it are printed.
func issuingSuite(ctx context.Context, self, dir string, stdout, stderr io.Writer) error {
	base := filepath.Join(dir, "issuing")
	demo := filepath.Join(base, "demo")
	if _, err := os.Stat(filepath.Join(demo, "flexemp.db")); err != nil {
		os.RemoveAll(demo)
		fmt.Fprintf(stderr, "making the demo province in %s …\n", demo)
		if out, err := exec.CommandContext(ctx, self, "demo", "--dir", demo).CombinedOutput(); err != nil {
			return fmt.Errorf("demo: %w: %s", err, out)
		}
	}
	work := filepath.Join(base, "work")
	os.RemoveAll(work)
	if err := os.MkdirAll(filepath.Join(work, "files"), 0o700); err != nil {
		return err
	}
	db := filepath.Join(work, "flexemp.db")
	for _, f := range []string{"flexemp.db", "flexemp.db.key"} {
		b, err := os.ReadFile(filepath.Join(demo, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(work, f), b, 0o600); err != nil {
			return err
		}
	}
	addr, tokens, stop, err := serveCities(ctx, self, db)
	if err != nil {
		return err
	}
	defer stop()

	// The uploaders: one per city, until told to stop.
	type upload struct {
		at   time.Time
		took time.Duration
	}
	var mu sync.Mutex
	var uploads []upload
	var failure error
	quit := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{}
	for i, c := range flexemp.Cities {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-quit:
					return
				default:
				}
				month := flexemp.Month{Year: 2026, Month: time.Month(1 + n%11)}
				path := filepath.Join(work, "files", fmt.Sprintf("%s-%d.csv", c.Code, n))
				err := gen.Registrations(path, 1000, uint64(i*100000+n+1), c, month)
				var body io.Reader
				var ctype string
				if err == nil {
					body, ctype, err = multipartFile(path, month)
				}
				os.Remove(path)
				var took time.Duration
				t0 := time.Now()
				if err == nil {
					req, _ := http.NewRequestWithContext(ctx, "POST", addr+"/api/v1/uploads", body)
					req.Header.Set("Content-Type", ctype)
					req.Header.Set("Authorization", "Bearer "+tokens[c.Code])
					var resp *http.Response
					if resp, err = client.Do(req); err == nil {
						b, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							err = fmt.Errorf("%s %s: %d %s", c.Name, month, resp.StatusCode, b)
						}
					}
					took = time.Since(t0)
				}
				mu.Lock()
				if err != nil && failure == nil {
					failure = err
				}
				uploads = append(uploads, upload{t0, took})
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	tw := columns.NewWriter(stdout)
	fmt.Fprintln(tw, "step\tstep s\tuploads meanwhile\tp50 wait ms\tp95 wait ms\tmax wait ms")
	for _, step := range [][]string{
		{"publish", "--period", "2025", "--at", "2026-11-02T10:00:00+08:00"},
		{"finalise", "--period", "2025"},
	} {
		start := time.Now()
		out, err := exec.CommandContext(ctx, self, append(step, "--db", db)...).CombinedOutput()
		end := time.Now()
		if err != nil {
			close(quit)
			wg.Wait()
			return fmt.Errorf("%s: %w: %s", step[0], err, out)
		}
		mu.Lock()
		var waits []time.Duration
		for _, u := range uploads {
			if u.at.Before(end) && u.at.Add(u.took).After(start) {
				waits = append(waits, u.took)
			}
		}
		mu.Unlock()
		if len(waits) == 0 {
			close(quit)
			wg.Wait()
			return fmt.Errorf("%s: no upload overlapped it (%v)", step[0], failure)
		}
		sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
		pct := func(p int) int64 { return waits[(len(waits)-1)*p/100].Milliseconds() }
		fmt.Fprintf(tw, "%s\t%.1f\t%d\t%d\t%d\t%d\n", step[0], end.Sub(start).Seconds(), len(waits), pct(50), pct(95), pct(100))
	}
	close(quit)
	wg.Wait()
	if failure != nil {
		return fmt.Errorf("an upload failed: %w", failure)
	}
	return tw.Flush()
}
