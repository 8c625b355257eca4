package schedules

import (
	"strings"
	"testing"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
)

// The reason file of a refused inbox file names each reason, not "  ：42 行".
func TestRefusalTextNamesReasons(t *testing.T) {
	why := flexemp.Reasons[flexemp.ReasonIDCheckDigit]
	text := refusalText(&ingest.Result{File: "x.csv", Error: "被拒行超过 5%", Rows: 100, Rejected: 42, Reasons: map[string]int{why: 42}})
	if !strings.Contains(text, "  "+why+"：42 行") || strings.Contains(text, "  ：") {
		t.Errorf("reason file:\n%s", text)
	}
}
