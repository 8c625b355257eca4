package ingest

import (
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/liaoning-hrss/flexemp"
)

// storageSchema is the Arrow schema of a kind's stored rows, field for field
// with StorageColumns.
func storageSchema(c *flexemp.Contract) *arrow.Schema {
	str, date := arrow.BinaryTypes.String, arrow.FixedWidthTypes.Date32
	fields := []arrow.Field{{Name: "upload_id", Type: arrow.PrimitiveTypes.Int64}, {Name: "row_no", Type: arrow.PrimitiveTypes.Int32}}
	add := func(name string, t arrow.DataType) {
		fields = append(fields, arrow.Field{Name: name, Type: t, Nullable: true})
	}
	for _, col := range c.Columns {
		switch col.Type {
		case flexemp.TypeID:
			add("person_id", str)
			add("birth_date", date)
			add("sex", str)
			add("retire_on", date)
		case flexemp.TypeCity:
			add("city_code", str)
			add("area_code", str)
		case flexemp.TypeDate, flexemp.TypeMonth:
			add(col.Name, date)
		case flexemp.TypeMoney:
			add(col.Name+"_fen", arrow.PrimitiveTypes.Int64)
		case flexemp.TypeHours:
			add(col.Name+"_centi", arrow.PrimitiveTypes.Int64)
		case flexemp.TypeCount:
			add(col.Name, arrow.PrimitiveTypes.Int64)
		case flexemp.TypeYesNo:
			add(col.Name, arrow.FixedWidthTypes.Boolean)
		default:
			add(col.Name, str)
		}
	}
	if hasID(c) {
		// The masked ID (2101**********1234) a reviewer sees where a row is
		// named; never the pseudonym, never the ID.
		add("id_masked", str)
	}
	return arrow.NewSchema(fields, nil)
}

// hasID tells whether a contract's rows are about a person.
func hasID(c *flexemp.Contract) bool {
	for _, col := range c.Columns {
		if col.Type == flexemp.TypeID {
			return true
		}
	}
	return false
}

// batchReader hands DuckDB the validated batches in file order as an Arrow
// record reader; the pipeline feeds it through a channel.
type batchReader struct {
	refs   atomic.Int64
	schema *arrow.Schema
	in     <-chan arrow.RecordBatch
	cur    arrow.RecordBatch
	err    func() error
}

var _ array.RecordReader = (*batchReader)(nil)

func newBatchReader(schema *arrow.Schema, in <-chan arrow.RecordBatch, err func() error) *batchReader {
	r := &batchReader{schema: schema, in: in, err: err}
	r.refs.Store(1)
	return r
}

func (r *batchReader) Retain() { r.refs.Add(1) }

func (r *batchReader) Release() {
	if r.refs.Add(-1) == 0 && r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

func (r *batchReader) Schema() *arrow.Schema { return r.schema }

func (r *batchReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	rec, ok := <-r.in
	if !ok {
		return false
	}
	r.cur = rec
	return true
}

func (r *batchReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is RecordBatch under its deprecated name.
func (r *batchReader) Record() arrow.RecordBatch { return r.cur }

func (r *batchReader) Err() error { return r.err() }

var allocator = memory.DefaultAllocator
