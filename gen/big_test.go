package gen_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/xuri/excelize/v2"
)

// The benchmark workbook is a real workbook: excelize reads the same rows
// from it as the CSV written from the same seed.
func TestBigRegistrationsWorkbookIsValid(t *testing.T) {
	dir := t.TempDir()
	csvPath, xlsxPath := filepath.Join(dir, "r.csv"), filepath.Join(dir, "r.xlsx")
	if err := gen.BigRegistrations(csvPath, 50, 9); err != nil {
		t.Fatal(err)
	}
	if err := gen.BigRegistrations(xlsxPath, 50, 9); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(csvPath)
	defer f.Close()
	want, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	got, err := x.GetRows("就业失业登记")
	if err != nil {
		t.Fatal(err)
	}
	for i := range got { // excelize drops trailing empty cells
		for len(got[i]) < len(want[i]) {
			got[i] = append(got[i], "")
		}
	}
	if len(want) != 51 || !reflect.DeepEqual(got, want) {
		t.Errorf("workbook rows differ from the CSV: %d vs %d rows; first %v vs %v", len(got), len(want), got[1], want[1])
	}
}
