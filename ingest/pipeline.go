package ingest

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/liaoning-hrss/flexemp"
)

// chunkRows is how many rows travel together through the pipeline and make
// one Arrow batch.
const chunkRows = 4096

// maxRejects bounds the rejects kept in memory; a file with more is refused
// (at the default ratio it would need 20 million rows to be accepted).
const maxRejects = 1 << 20

type chunk struct {
	seq   int
	rows  []int
	cells [][]string
}

type chunkResult struct {
	seq      int
	batch    arrow.RecordBatch
	accepted int
	rejected int
	rejects  []flexemp.Reject
}

// pipeline reads a file's rows in chunks, validates the chunks on parallel
// workers and hands their Arrow batches to DuckDB in file order. Memory stays
// flat: only a few chunks are in flight at once.
type pipeline struct {
	reader  *batchReader
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	errOnce sync.Once
	err     error

	rejects []flexemp.Reject
	months  map[flexemp.Month]int
	outside map[flexemp.Month]int // months of rows refused as outside the upload's month
}

func startPipeline(ctx context.Context, src rowSource, c *flexemp.Contract, city flexemp.City, req Request, hdr *headerMatch, key []byte, uploadID int64, res *Result) *pipeline {
	ctx, cancel := context.WithCancel(ctx)
	p := &pipeline{cancel: cancel, months: map[flexemp.Month]int{}, outside: map[flexemp.Month]int{}}
	workers := runtime.GOMAXPROCS(0)
	if c.Kind == flexemp.Services {
		workers = 1 // one row per month: duplicates are found in file order
	}
	schema := storageSchema(c)
	work := make(chan chunk, workers)
	results := make(chan chunkResult, workers)
	out := make(chan arrow.RecordBatch, 2)
	p.reader = newBatchReader(schema, out, func() error { return p.err })

	p.wg.Add(1)
	go func() { // reader
		defer p.wg.Done()
		defer close(work)
		p.fail(readChunks(ctx, src, hdr, req.Progress, work))
	}()
	var validators sync.WaitGroup
	vs := make([]*validator, workers)
	for w := range workers {
		v := newValidator(c, city, req.Month, hdr, key)
		v.uploadID = uploadID
		vs[w] = v
		validators.Add(1)
		go func() {
			defer validators.Done()
			b := array.NewRecordBuilder(allocator, schema)
			defer b.Release()
			// Each batch's buffers are sized up front, the strings' from the
			// batch before, rather than grown by doubling as rows come.
			dataLen := make([]int, len(schema.Fields()))
			for ch := range work {
				r := chunkResult{seq: ch.seq}
				b.Reserve(len(ch.cells))
				for f, n := range dataLen {
					if sb, ok := b.Field(f).(*array.StringBuilder); ok && n > 0 {
						sb.ReserveData(n)
					}
				}
				for i, cells := range ch.cells {
					if v.check(ch.rows[i], cells) {
						v.store(b, ch.rows[i])
						r.accepted++
						continue
					}
					r.rejected++
					r.rejects = append(r.rejects, v.rejects...)
				}
				for f := range dataLen {
					if sb, ok := b.Field(f).(*array.StringBuilder); ok {
						dataLen[f] = sb.DataLen()
					}
				}
				r.batch = b.NewRecordBatch()
				select {
				case results <- r:
				case <-ctx.Done():
					r.batch.Release()
					return
				}
			}
		}()
	}
	go func() {
		validators.Wait()
		close(results)
	}()
	p.wg.Add(1)
	go func() { // merger: file order, counts and rejects
		defer p.wg.Done()
		defer close(out)
		pending := map[int]chunkResult{}
		next := 0
		for r := range results {
			pending[r.seq] = r
			for {
				r, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				res.Rows += r.accepted + r.rejected
				res.Accepted += r.accepted
				res.Rejected += r.rejected
				for _, rj := range r.rejects {
					res.Reasons[flexemp.Reasons[rj.Code]]++
					if len(res.Samples) < maxSamples {
						res.Samples = append(res.Samples, rj)
					}
				}
				if len(p.rejects)+len(r.rejects) > maxRejects {
					p.fail(flexemp.Errorf(flexemp.EINVALID, "被拒行过多（超过 %d 处），整个文件未入库", maxRejects))
				}
				p.rejects = append(p.rejects, r.rejects...)
				if r.batch.NumRows() == 0 {
					r.batch.Release()
					continue
				}
				select {
				case out <- r.batch:
				case <-ctx.Done():
					r.batch.Release()
				}
			}
		}
		for _, r := range pending {
			r.batch.Release()
		}
		for _, v := range vs {
			for m, n := range v.months {
				p.months[m] += n
			}
			for m, n := range v.outside {
				p.outside[m] += n
			}
		}
	}()
	return p
}

// readChunks reads rows, skipping blank ones, into chunks for the workers.
func readChunks(ctx context.Context, src rowSource, hdr *headerMatch, progress func(int, float64), work chan<- chunk) error {
	// A chunk's rows share one backing array of cells, allocated with the
	// chunk, rather than one slice a row.
	var flat []string
	newChunk := func(seq int) chunk {
		flat = nil
		return chunk{seq: seq, rows: make([]int, 0, chunkRows), cells: make([][]string, 0, chunkRows)}
	}
	ch := newChunk(0)
	rows := 0
	send := func() bool {
		select {
		case work <- ch:
			ch = newChunk(ch.seq + 1)
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		row, cells, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if hdr.blank(cells) {
			continue
		}
		ch.rows = append(ch.rows, row)
		if cap(flat)-len(flat) < len(cells) {
			flat = make([]string, 0, (chunkRows-len(ch.rows)+1)*len(cells))
		}
		at := len(flat)
		flat = append(flat, cells...)
		ch.cells = append(ch.cells, flat[at:len(flat):len(flat)])
		rows++
		if len(ch.rows) == chunkRows {
			if progress != nil && rows%(2*chunkRows) == 0 {
				progress(rows, src.Done())
			}
			if !send() {
				return ctx.Err()
			}
		}
	}
	if progress != nil {
		progress(rows, src.Done())
	}
	if len(ch.rows) > 0 && !send() {
		return ctx.Err()
	}
	return nil
}

func (p *pipeline) fail(err error) {
	if err != nil {
		p.errOnce.Do(func() {
			p.err = err
			p.cancel()
		})
	}
}

// wait lets the pipeline finish and returns the file's error, if any.
func (p *pipeline) wait() error {
	// Drain what DuckDB did not take (it stops early on its own errors).
	for rec := range p.reader.in {
		rec.Release()
	}
	p.wg.Wait()
	return p.err
}

// stop ends the pipeline early and waits for its goroutines.
func (p *pipeline) stop() {
	p.cancel()
	p.wait()
	p.reader.Release()
}
