package xmlscan

import (
	"errors"
	"strings"
	"testing"
)

// A text or tag longer than MaxToken is ErrTooLong: a workbook with a
// 400 MiB cell is refused as that, not read into memory whole.
func TestTooLong(t *testing.T) {
	s := New(strings.NewReader("<c><v>" + strings.Repeat("9", MaxToken+1) + "</v></c>"))
	var err error
	for err == nil {
		_, err = s.Next()
	}
	if !errors.Is(err, ErrTooLong) {
		t.Errorf("%v, want ErrTooLong", err)
	}
	s = New(strings.NewReader("<c><v>" + strings.Repeat("9", 1000) + "</v></c>"))
	for {
		tok, err := s.Next()
		if err != nil {
			break
		}
		if tok.Kind == Text && len(tok.Text) != 1000 {
			t.Errorf("text of %d bytes", len(tok.Text))
		}
	}
}

// FuzzScan feeds the scanner any bytes: it never panics, never loops, and
// every token it returns has a name or text within MaxToken.
func FuzzScan(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>公民&amp;身份&#x53F7;</t></is></c></row></sheetData></worksheet>`))
	f.Add([]byte(`<sst><si><t>a</t><rPh><t>b</t></rPh></si><si><r><t>c</t></r></si><![CDATA[<x>]]><!-- c --></sst>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := New(strings.NewReader(string(data)))
		for i := 0; i <= len(data); i++ {
			tok, err := s.Next()
			if err != nil {
				return
			}
			if len(tok.Name) > MaxToken || len(tok.Text) > MaxToken {
				t.Fatalf("token of %d bytes", len(tok.Name)+len(tok.Text))
			}
			_ = tok.AppendText(nil)
			tok.Attr("r")
		}
		t.Fatalf("more tokens than bytes in %q", data)
	})
}
