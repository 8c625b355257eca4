package columns_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rivo/uniseg"

	"github.com/liaoning-hrss/flexemp/internal/columns"
)

// Every column starts at the same display column on every line, whatever
// mix of Chinese and ASCII the cells before it hold.
func TestAlignsByDisplayWidth(t *testing.T) {
	var b strings.Builder
	w := columns.NewWriter(&b)
	fmt.Fprintln(w, "名次\t城市\t综合指数\t等次")
	fmt.Fprintln(w, "1\t沈阳市\t87.5\t优秀")
	fmt.Fprintln(w, "14\t葫芦岛市\t41.2\t一般")
	fmt.Fprintln(w, "—\tDalian (test)\t\t数据不足")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	// Where the last column starts, in display columns, on each line.
	var starts []int
	for _, l := range lines {
		last := strings.LastIndex(l, "  ")
		starts = append(starts, uniseg.StringWidth(l[:last+2]))
	}
	for i, s := range starts {
		if s != starts[0] {
			t.Errorf("line %d's last column starts at %d, line 1's at %d:\n%s", i+1, s, starts[0], b.String())
		}
	}
	// The widest city, 葫芦岛市 (8 columns) or "Dalian (test)" (13), sets the width.
	if want := 4 + 2 + 13 + 2 + 8 + 2; starts[0] != want {
		t.Errorf("the last column starts at %d, want %d:\n%s", starts[0], want, b.String())
	}
}
