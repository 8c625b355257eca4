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
