package ingest_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
)

// servicesFile writes a services CSV with the columns of the contract
// version in force for columnsFor, and one row for month (empty: no row).
func servicesFile(t *testing.T, columnsFor flexemp.Month, month string) string {
	t.Helper()
	var header, row []string
	for _, col := range flexemp.ContractOf(flexemp.Services).ColumnsAt(columnsFor) {
		header = append(header, col.Header)
		switch col.Name {
		case "city_code":
			row = append(row, "210100")
		case "month":
			row = append(row, month)
		case "fund_allocated":
			row = append(row, "300000.00")
		default:
			row = append(row, "7")
		}
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	if month != "" {
		w.Write(row)
	}
	w.Flush()
	path := filepath.Join(t.TempDir(), "services.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Version 2 of services is in force from 2025-01: a 2025 extract without its
// columns is refused, naming them and the version, whether the month is
// given or read from the rows; a 2024 extract without them is accepted, and
// stores them as NULL; a 2025 extract with them stores them.
func TestServicesContractVersions(t *testing.T) {
	g := newIngester(t)
	ctx := context.Background()
	dec2024, jan2025 := flexemp.Month{Year: 2024, Month: 12}, flexemp.Month{Year: 2025, Month: 1}
	v1, v2 := dec2024, jan2025
	cases := []struct {
		name     string
		columns  flexemp.Month
		month    string
		given    flexemp.Month
		accepted bool
	}{
		{"2024-12, version 1 columns", v1, "2024-12", dec2024, true},
		{"2025-01, version 1 columns", v1, "2025-01", jan2025, false},
		{"2025-01 read from the rows, version 1 columns", v1, "2025-01", flexemp.Month{}, false},
		{"2025-01, version 2 columns", v2, "2025-01", jan2025, true},
		{"2024-11, version 2 columns", v2, "2024-11", flexemp.Month{}, true},
	}
	for _, c := range cases {
		res, err := g.Ingest(ctx, ingest.Request{Path: servicesFile(t, c.columns, c.month), City: "210100", Kind: flexemp.Services, Month: c.given})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := res.Status == ingest.StatusAccepted; got != c.accepted {
			t.Errorf("%s: %s %s", c.name, res.Status, res.Error)
			continue
		}
		if !c.accepted {
			for _, want := range []string{"在册灵活就业人员数(flex_registered)", "灵活就业扶持资金下达额(元)(fund_allocated)", "第2版", "template --kind services --month 2025-01"} {
				if !strings.Contains(res.Error, want) {
					t.Errorf("%s: the refusal %q does not say %q", c.name, res.Error, want)
				}
			}
		}
	}
	var nulls, filled, fund int
	g.DB.QueryRow(`SELECT count(*) FILTER (flex_registered IS NULL), count(*) FILTER (flex_registered = 7), max(fund_allocated_fen) FROM services`).Scan(&nulls, &filled, &fund)
	if nulls != 1 || filled != 2 || fund != 30000000 {
		t.Errorf("stored: %d without version 2, %d with, fund %d fen", nulls, filled, fund)
	}
}

// The monthly report always has its row: a header-only services file is
// refused, and nothing is stored.
func TestHeaderOnlyServicesRefused(t *testing.T) {
	g := newIngester(t)
	res, err := g.Ingest(context.Background(), ingest.Request{Path: servicesFile(t, flexemp.Month{Year: 2024, Month: 5}, ""), City: "210100",
		Kind: flexemp.Services, Month: flexemp.Month{Year: 2024, Month: 5}})
	if err != nil || res.Status != ingest.StatusRefused || !strings.Contains(res.Error, "每月必有一行") {
		t.Fatalf("%v %+v", err, res)
	}
	if n := count(t, g.DB, `SELECT count(*) FROM uploads`); n != 0 {
		t.Errorf("%d uploads stored", n)
	}
}

// The template writes the version in force for its month.
func TestTemplateVersions(t *testing.T) {
	for _, c := range []struct {
		month   flexemp.Month
		columns int
	}{{flexemp.Month{Year: 2024, Month: 12}, 10}, {flexemp.Month{Year: 2025, Month: 1}, 19}} {
		var b bytes.Buffer
		if err := ingest.WriteTemplate(&b, flexemp.Services, c.month); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows("公共服务月报")
		if len(rows[0]) != c.columns {
			t.Errorf("%s: %d columns, want %d", c.month, len(rows[0]), c.columns)
		}
		x.Close()
	}
}
