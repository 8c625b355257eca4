package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
	"github.com/liaoning-hrss/flexemp/ingest"
)

func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("gen", stderr)
	out := fs.String("out", "", "输出目录")
	seed := fs.Uint64("seed", 1, "随机种子：相同种子生成完全相同的文件")
	scale := fs.Float64("scale", gen.DefaultScale, "数据规模：1 约等于全省一年的真实行数")
	from := fs.String("from", "2024-01", "起始月份 YYYY-MM")
	to := fs.String("to", "2025-12", "结束月份 YYYY-MM")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var months [2]flexemp.Month
	for i, v := range []struct{ name, value string }{{"from", *from}, {"to", *to}} {
		m, err := flexemp.ParseMonth(v.value)
		if err != nil {
			return usagef("--%s: %s", v.name, flexemp.ErrorMessage(err))
		}
		months[i] = m
	}
	if months[1].First().Before(months[0].First()) {
		return usagef("--to 不能早于 --from")
	}
	if err := required("out", *out); err != nil {
		return err
	}
	if *scale <= 0 || *scale > 10 {
		return usagef("--scale 应在 (0, 10] 之间")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	man, err := gen.Generate(*out, gen.Options{Seed: *seed, Scale: *scale, From: months[0], To: months[1]})
	if err != nil {
		return err
	}
	rows, rejected := 0, 0
	for _, f := range man.Files {
		rows += f.Rows
		rejected += f.Rejected
	}
	fmt.Fprintf(stdout, "%s：%d 个文件，%d 行（其中预置错误行 %d 行），%d 份数据未报送；已写出 manifest.json\n",
		*out, len(man.Files), rows, rejected, len(man.Missing))
	return nil
}

func runTemplate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("template", stderr)
	kind := fs.String("kind", "", "数据类型：registrations、subsidies、trainings 或 services")
	out := fs.String("out", "", "输出文件 FILE.xlsx")
	monthFlag := fs.String("month", "", "模板适用的月份 YYYY-MM（默认本月）：按该月适用的数据规范版本生成列")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	month := flexemp.MonthOf(time.Now().In(flexemp.Shanghai))
	if *monthFlag != "" {
		m, err := flexemp.ParseMonth(*monthFlag)
		if err != nil {
			return usagef("--month: %s", flexemp.ErrorMessage(err))
		}
		month = m
	}
	k, ok := flexemp.ParseKind(*kind)
	if !ok {
		return usagef("--kind 应为 registrations、subsidies、trainings 或 services（也可用中文名）")
	}
	if !strings.HasSuffix(strings.ToLower(*out), ".xlsx") {
		return usagef("--out 应以 .xlsx 结尾")
	}
	if err := writeFile(*out, func(w io.Writer) error { return ingest.WriteTemplate(w, k, month) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s上传模板（%s，第%d版）\n", *out, k.Title(), month, flexemp.ContractOf(k).VersionAt(month))
	return nil
}
