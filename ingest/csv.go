package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"strings"
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

type csvSource struct {
	size  int64
	f     *os.File
	count *countingReader
	lines *bufio.Reader
	comma rune
	line  int  // lines read
	first bool // the next line is the file's first: a UTF-8 BOM is dropped
	cells []string
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

// quoteMark stands before a cell whose line's quotes do not close: the
// noncharacter U+FFFF never occurs in real data, and validation turns it
// into that row's reject (引号未闭合).
const quoteMark = "\uffff"

// openCSV reads delimited text in UTF-8 (with or without BOM), GBK/GB18030
// or UTF-16 (with its BOM). The encoding is decided on the first 64 KiB by
// which decoding finds more of the contracts' headers and, between equals,
// leaves fewer invalid sequences — so one stray byte or one GBK row in a
// UTF-8 file stays that row's reject instead of turning the file to
// mojibake. Each line is read, decoded and split on its own: a quote that
// does not close is that row's reject and never swallows the lines after
// it (no column of any contract holds a line break).
func openCSV(f *os.File) (*csvSource, error) {
	count := &countingReader{r: f}
	br := bufio.NewReaderSize(count, sniffSize)
	head, _ := br.Peek(sniffSize)
	utf16BOM := bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF})
	if !utf16BOM && binary(head) {
		return nil, flexemp.Errorf(flexemp.EUNSUPPORTED, "无法识别的文件格式：不是 CSV、XLSX 或 Parquet 文件")
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	s := &csvSource{size: st.Size(), f: f, count: count, first: true}
	var lines io.Reader = br
	if utf16BOM {
		lines = transform.NewReader(br, unicode.BOMOverride(encoding.Nop.NewDecoder()))
		head = decodeAll(unicode.BOMOverride(encoding.Nop.NewDecoder()), head)
	} else if enc := chooseEncoding(head); enc != nil {
		// Decoded as a stream: a GB18030 sequence never holds a line break,
		// so lines split after decoding are the file's lines.
		lines = transform.NewReader(br, enc.NewDecoder())
		head = decodeAll(enc.NewDecoder(), head)
	}
	s.lines = bufio.NewReaderSize(lines, 64<<10)
	s.comma = sniffDelimiter(head)
	return s, nil
}

// binary tells a file that is not text at all (an image, a PDF) from text
// with a stray control byte or NUL in a cell: control bytes other than tab,
// line breaks and escape in more than one byte in a hundred.
func binary(head []byte) bool {
	n := 0
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != 0x1b {
			n++
		}
	}
	return n > len(head)/100
}

// chooseEncoding is nil for UTF-8, else GB18030: the decoding under which
// the lines a header is looked for in show more known headers, then the
// decoding under which the head has fewer invalid sequences.
func chooseEncoding(head []byte) encoding.Encoding {
	top := headerLines(head)
	hu, hg := knownHeaders(string(top)), knownHeaders(string(decodeAll(simplifiedchinese.GB18030.NewDecoder(), top)))
	if hu != hg {
		if hu > hg {
			return nil
		}
		return simplifiedchinese.GB18030
	}
	gb := decodeAll(simplifiedchinese.GB18030.NewDecoder(), head)
	if invalidUTF8(head) <= bytes.Count(gb, []byte("\ufffd")) {
		return nil
	}
	return simplifiedchinese.GB18030
}

// headerLines is the start of head that holds the lines findHeader looks
// at: each header counted there, not in the data rows below, which spares
// some 80 scans of 64 KiB a file (a backfill's thousand files each paid them).
func headerLines(head []byte) []byte {
	end := 0
	for range headerScanRows {
		i := bytes.IndexByte(head[end:], '\n')
		if i < 0 {
			return head
		}
		end += i + 1
	}
	return head[:end]
}

// knownHeaders counts the contracts' Chinese headers in text.
func knownHeaders(text string) int {
	n := 0
	for _, c := range flexemp.Contracts {
		for _, col := range c.Columns {
			if strings.Contains(text, col.Header) {
				n++
			}
		}
	}
	return n
}

// invalidUTF8 counts the invalid sequences in b, a rune cut at its end not
// counted.
func invalidUTF8(b []byte) int {
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 && !(len(b) < utf8.UTFMax && !utf8.FullRune(b)) {
			n++
		}
		b = b[size:]
	}
	return n
}

func decodeAll(d transform.Transformer, b []byte) []byte {
	out, _, _ := transform.Bytes(d, b)
	return out
}

func (s *csvSource) Next() (int, []string, error) {
	for {
		raw, err := s.readLine()
		if err != nil {
			return 0, nil, err
		}
		s.line++
		text := string(raw)
		if s.first {
			text, s.first = strings.TrimPrefix(text, "\ufeff"), false
		}
		text = strings.TrimRight(text, "\r\n")
		if text == "" {
			continue // a blank line, as encoding/csv skips it
		}
		return s.line, s.split(text), nil
	}
}

// readLine reads one line's bytes, refusing one past MaxLine.
func (s *csvSource) readLine() ([]byte, error) {
	part, err := s.lines.ReadSlice('\n')
	if err == nil {
		return part, nil // valid until the next read; decode copies it
	}
	line := append([]byte(nil), part...)
	for errors.Is(err, bufio.ErrBufferFull) && len(line) <= MaxLine {
		part, err = s.lines.ReadSlice('\n')
		line = append(line, part...)
	}
	switch {
	case len(line) > MaxLine:
		return nil, flexemp.Errorf(flexemp.EINVALID, "第%d行超过 %d 字节，不是正常的数据导出，未入库", s.line+1, MaxLine)
	case err == nil, errors.Is(err, io.EOF) && len(line) > 0:
		return line, nil
	}
	return nil, err
}

// split splits one line into its cells. A line whose quotes do not close is
// split at its delimiters as it stands, its first cell with a quote marked.
func (s *csvSource) split(text string) []string {
	if !strings.Contains(text, `"`) { // most lines: no quoting to undo
		s.cells = s.cells[:0]
		for {
			i := strings.IndexRune(text, s.comma)
			if i < 0 {
				return append(s.cells, text)
			}
			s.cells = append(s.cells, text[:i])
			text = text[i+utf8.RuneLen(s.comma):]
		}
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma, r.FieldsPerRecord = s.comma, -1
	rec, err := r.Read()
	if err == nil {
		s.cells = append(s.cells[:0], rec...)
		return s.cells
	}
	s.cells = append(s.cells[:0], strings.Split(text, string(s.comma))...)
	for i, c := range s.cells { // one cell carries the mark: its row is rejected once
		if strings.Contains(c, `"`) {
			s.cells[i] = quoteMark + c
			break
		}
	}
	return s.cells
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

func (s *csvSource) Done() float64 {
	if s.size <= 0 {
		return 0
	}
	return min(1, float64(s.count.n)/float64(s.size))
}

func (s *csvSource) Close() error { return s.f.Close() }
