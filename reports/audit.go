package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/liaoning-hrss/flexemp/internal/columns"
	"github.com/liaoning-hrss/flexemp/internal/csvsafe"
	"github.com/liaoning-hrss/flexemp/store"
)

// outcomeWords are an audited action's outcomes as people read them.
var outcomeWords = map[string]string{store.AuditOK: "成功", store.AuditRefused: "拒绝", store.AuditError: "出错"}

// OutcomeText is a record's outcome as people read it, with its code.
func OutcomeText(r store.AuditRecord) string {
	if r.Code != "" {
		return outcomeWords[r.Outcome] + "（" + r.Code + "）"
	}
	return outcomeWords[r.Outcome]
}

// WriteAudit writes audit records as a table, JSON or CSV (never a token,
// key, ID or file content: the records hold none).
func WriteAudit(w io.Writer, rs []store.AuditRecord, total int, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"total": total, "records": rs})
	case "csv":
		cw := csvsafe.NewWriter(w)
		cw.Write([]string{"seq", "at", "stated_at", "actor", "role", "city", "action", "object", "outcome", "code", "remote", "request_id", "hash"})
		for _, r := range rs {
			stated := ""
			if r.StatedAt != nil {
				stated = r.StatedAt.Format(time.RFC3339)
			}
			cw.Write([]string{strconv.FormatInt(r.Seq, 10), r.At.Format(time.RFC3339), stated, r.Actor, r.Role, r.City, r.Action,
				r.Object, r.Outcome, r.Code, r.Remote, r.RequestID, r.Hash})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := columns.NewWriter(w)
	fmt.Fprintf(tw, "序号\t时间\t操作者\t角色\t城市\t操作\t对象\t结果\t来源\n")
	for _, r := range rs {
		outcome := OutcomeText(r)
		at := r.At.Format("2006-01-02 15:04:05")
		if r.StatedAt != nil {
			at += "（记载为 " + r.StatedAt.Format("2006-01-02 15:04") + "）"
		}
		city := r.City
		if city != "" {
			city = cityName(city)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Seq, at, r.Actor, r.Role, city, r.Action, r.Object, outcome, r.Remote)
	}
	fmt.Fprintf(tw, "共 %d 条\n", total)
	return tw.Flush()
}
