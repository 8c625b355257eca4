package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"unicode/utf8"

	"github.com/liaoning-hrss/flexemp"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffSize is how much of a text file decides its encoding and delimiter.
const sniffSize = 64 << 10

// MaxLine is the longest line of a text file read: a header of 512 columns
// or a data row is far shorter. A longer one refuses the file before it is
// held in memory.
const MaxLine = 1 << 20

// lineGuard fails a read once a line runs past MaxLine bytes.
type lineGuard struct {
	r    io.Reader
	run  int
	line int
}

var errLineTooLong = errors.New("line too long")

func (g *lineGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			g.run = 0
			g.line++
			continue
		}
		g.run++
		if g.run > MaxLine {
			return 0, errLineTooLong
		}
	}
	return n, err
}

type csvSource struct {
	size  int64
	f     *os.File
	count *countingReader
	guard *lineGuard
	r     *csv.Reader
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// openCSV reads delimited text in UTF-8 (with or without BOM) or GBK/GB18030,
// told apart by the bytes: text that is not valid UTF-8 is GB18030, a
// superset of GBK. A UTF-16 BOM is honoured too.
func openCSV(f *os.File) (*csvSource, error) {
	count := &countingReader{r: f}
	br := bufio.NewReaderSize(count, sniffSize)
	head, _ := br.Peek(sniffSize)
	utf16BOM := bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF})
	if !utf16BOM && bytes.IndexByte(head, 0) >= 0 {
		return nil, flexemp.Errorf(flexemp.EUNSUPPORTED, "无法识别的文件格式：不是 CSV、XLSX 或 Parquet 文件")
	}
	var fallback encoding.Encoding = encoding.Nop
	if !validUTF8Prefix(head) {
		fallback = simplifiedchinese.GB18030
	}
	guard := &lineGuard{r: br}
	text := transform.NewReader(guard, unicode.BOMOverride(fallback.NewDecoder()))
	r := csv.NewReader(text)
	r.Comma = sniffDelimiter(head)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return &csvSource{size: st.Size(), f: f, count: count, guard: guard, r: r}, nil
}

// validUTF8Prefix is utf8.Valid allowing a rune cut at the end of the sample.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		r, _ := utf8.DecodeLastRune(b)
		if r != utf8.RuneError {
			return false
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// sniffDelimiter picks comma, tab or semicolon by which the first line has most.
func sniffDelimiter(head []byte) rune {
	line := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		line = head[:i]
	}
	best, n := ',', bytes.Count(line, []byte(","))
	for _, d := range []rune{'\t', ';'} {
		if c := bytes.Count(line, []byte(string(d))); c > n {
			best, n = d, c
		}
	}
	return best
}

func (s *csvSource) Next() (int, []string, error) {
	rec, err := s.r.Read()
	if err != nil {
		if err == io.EOF {
			return 0, nil, io.EOF
		}
		if errors.Is(err, errLineTooLong) {
			return 0, nil, flexemp.Errorf(flexemp.EINVALID, "第%d行超过 %d 字节，不是正常的数据导出，未入库", s.guard.line+1, MaxLine)
		}
		return 0, nil, flexemp.Errorf(flexemp.EINVALID, "CSV 格式错误：%v", err)
	}
	line, _ := s.r.FieldPos(0)
	return line, rec, nil
}

func (s *csvSource) Done() float64 {
	if s.size <= 0 {
		return 0
	}
	return min(1, float64(s.count.n)/float64(s.size))
}

func (s *csvSource) Close() error { return s.f.Close() }
